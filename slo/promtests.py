"""`promtool test rules` suites generated from the spec, with the expected alerts computed by the engine.

Each scenario is a set of synthetic series. The engine evaluates them and its firing alerts become the
suite's expectations, so passing suites show that Prometheus running our rules and the engine agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slo.catalog import HISTOGRAMS, format_le
from slo.engine import evaluate, plan
from slo.engine.results import Alert, Report
from slo.model import SLO, GaugeIndicator, LatencyIndicator, Matcher, RatioIndicator, Selector, Spec
from slo.rules import rule_files
from slo.sources.series import Series, answer
from slo.spend import SpendObjective
from telemetry import conventions as c

STEP = 60  # seconds between samples


@dataclass(frozen=True, slots=True)
class Line:
    """One synthetic series: per-step values (None leaves a gap)."""

    name: str
    labels: tuple[tuple[str, str], ...]
    values: tuple[float | None, ...]

    def series(self) -> Series:
        points = [(i * STEP, v) for i, v in enumerate(self.values) if v is not None]
        return Series.of(self.name, dict(self.labels), points)

    def promtool(self) -> dict[str, str]:
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return {"series": f"{self.name}{{{inner}}}", "values": notation(self.values)}


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: int
    lines: tuple[Line, ...]
    alertnames: tuple[str, ...]
    forecast: str | None = None  # an SLO whose recorded time to exhaustion must equal the engine's


def _num(v: float) -> str:
    return f"{v:.12g}"


def notation(values: Iterable[float | None]) -> str:
    """Promtool's expanding notation: runs of equal steps become `start+stepxN`, gaps `_`."""
    vals = list(values)
    out: list[str] = []
    i = 0
    while i < len(vals):
        v = vals[i]
        if v is None:
            j = i
            while j + 1 < len(vals) and vals[j + 1] is None:
                j += 1
            out.append("_" if j == i else f"_x{j - i + 1}")
            i = j + 1
            continue
        j = i
        nxt = vals[i + 1] if i + 1 < len(vals) else None
        if nxt is not None:
            step = nxt - v
            while j + 1 < len(vals) and vals[j + 1] is not None and abs(vals[j + 1] - (v + step * (j + 1 - i))) < 1e-9:  # type: ignore[operator]  # checked not None
                j += 1
            sign = "+" if step >= 0 else "-"
            out.append(f"{_num(v)}{sign}{_num(abs(step))}x{j - i}" if j > i else _num(v))
        else:
            out.append(_num(v))
        i = j + 1
    return " ".join(out)


def _labels(sel: Selector, **extra: str) -> tuple[tuple[str, str], ...]:
    """Concrete labels that satisfy a selector's matchers."""
    chosen = {m.label: _satisfying(m) for m in sel.matchers if m.label != c.LABEL_LE}
    chosen.update(extra)
    return tuple(sorted(chosen.items()))


def _satisfying(m: Matcher) -> str:
    if not m.negate:
        return m.values[0]
    return "/api/v1/tasks" if m.label == c.LABEL_ROUTE else "synthetic"


def cumulative(per_step: list[float]) -> tuple[float, ...]:
    out, acc = [0.0], 0.0
    for inc in per_step:
        acc += inc
        out.append(acc)
    return tuple(out)


def _not_satisfying(m: Matcher) -> str:
    return m.values[0] if m.negate else "synthetic"


def event_lines(slo: SLO, total_per_step: list[float], bad_per_step: list[float]) -> tuple[Line, ...]:
    """Counter series for an event-based SLO: the selected events and the rest, or a histogram."""
    ind = slo.indicator
    good_per_step = [t - b for t, b in zip(total_per_step, bad_per_step, strict=True)]
    if isinstance(ind, RatioIndicator):
        selected = _labels(ind.events)
        extra = [m for m in ind.events.matchers if m not in ind.total.matchers]
        rest = dict(selected)
        rest.update({m.label: _not_satisfying(m) for m in extra})
        picked, others = (good_per_step, bad_per_step) if ind.good else (bad_per_step, good_per_step)
        return (
            Line(ind.total.series, tuple(sorted(rest.items())), cumulative(others)),
            Line(ind.total.series, selected, cumulative(picked)),
        )
    assert isinstance(ind, LatencyIndicator)
    base = _labels(ind.total)
    lines = [Line(ind.total.series, base, cumulative(total_per_step))]
    # good requests land in the threshold's bucket, slow ones in the next bucket up
    slow_edge = next(e for e in HISTOGRAMS[ind.metric] if e > ind.threshold)
    for edge in (*HISTOGRAMS[ind.metric], float("inf")):
        if edge < ind.threshold:
            counts = [0.0] * len(total_per_step)
        elif edge < slow_edge:
            counts = good_per_step
        else:
            counts = total_per_step
        le = "+Inf" if edge == float("inf") else format_le(edge)
        lines.append(Line(f"{ind.metric}_bucket", tuple(sorted((*base, (c.LABEL_LE, le)))), cumulative(counts)))
    return tuple(lines)


def slo_scenarios(slo: SLO, forecast: bool = False) -> list[Scenario]:
    """A burst of errors after a healthy spell, a steady healthy service, and (with a policy) a slow leak that
    spends the budget within the forecast horizon without tripping a burn-rate tier."""
    steps, burst = 430, 70
    rate = float(max(100, 2 * slo.min_events))
    bad_share = min(20 * slo.error_budget, 0.5)
    calm_share = 0.2 * slo.error_budget
    leak_share = 0.95 * slo.error_budget
    burst_bad = [0.0] * (steps - burst) + [rate * bad_share] * burst
    names = (c.ALERT_BURN_RATE, c.ALERT_EXHAUSTION) if forecast else (c.ALERT_BURN_RATE,)
    checked = slo.name if forecast else None
    scenarios = [
        Scenario(
            f"{slo.name}: a {bad_share:.2%} error burst for {burst} minutes fires what the engine fires",
            steps,
            event_lines(slo, [rate] * steps, burst_bad),
            names,
            checked,
        ),
        Scenario(
            f"{slo.name}: {calm_share:.3%} errors for {steps} minutes fire nothing",
            steps,
            event_lines(slo, [rate] * steps, [rate * calm_share] * steps),
            names,
            checked,
        ),
    ]
    if forecast:
        scenarios.append(
            Scenario(
                f"{slo.name}: {leak_share:.3%} errors for {steps} minutes forecast the budget gone, burning no tier",
                steps,
                event_lines(slo, [rate] * steps, [rate * leak_share] * steps),
                names,
                checked,
            )
        )
    return scenarios


def _gauge_lines(
    slos: list[SLO], steps: int, now: float, figures: dict[str, float], fresh_age: float, ok: float
) -> tuple[Line, ...]:
    lines: dict[str, Line] = {}
    for slo in slos:
        ind = slo.indicator
        assert isinstance(ind, GaugeIndicator)
        value = now - figures[slo.name] if ind.age else figures[slo.name]
        lines[ind.value.series] = Line(ind.value.series, _labels(ind.value), (value,) * (steps + 1))
        if ind.freshness is not None:
            fresh = ind.freshness
            lines[fresh.series] = Line(fresh.series, _labels(fresh), (now - fresh_age,) * (steps + 1))
        if ind.success is not None:
            lines[ind.success.series] = Line(ind.success.series, _labels(ind.success), (ok,) * (steps + 1))
    return tuple(lines.values())


def recovery_scenarios(slos: list[SLO]) -> list[Scenario]:
    """Figures between tiers, a failed and stale drill, and a healthy state."""
    steps = 120
    now = float(steps * STEP)
    names = (c.ALERT_RECOVERY_OBJECTIVE, c.ALERT_RECOVERY_STALE, c.ALERT_RECOVERY_FAILED)
    out = []
    between: dict[str, float] = {}
    healthy: dict[str, float] = {}
    for slo in slos:
        ind = slo.indicator
        assert isinstance(ind, GaugeIndicator)
        limits = [limit for _, limit in ind.thresholds]
        # just past the tightest objective, and (when there are several) below the next one
        between[slo.name] = limits[0] * 1.5 if len(limits) == 1 else (limits[0] + limits[1]) / 2
        healthy[slo.name] = limits[0] / 2
    out.append(
        Scenario(
            "recovery figures between tiers fire the tiers they break",
            steps,
            _gauge_lines(slos, steps, now, between, 3600, 1),
            names,
        )
    )
    out.append(
        Scenario(
            "a failed drill ten days ago is stale and failed",
            steps,
            _gauge_lines(slos, steps, now, healthy, 10 * 86400, 0),
            names,
        )
    )
    out.append(
        Scenario(
            "fresh recovery figures within every tier fire nothing",
            steps,
            _gauge_lines(slos, steps, now, healthy, 3600, 1),
            names,
        )
    )
    return out


def _http_lines(steps: int, per_second: float, error_share: float, slow_share: float, seconds: float) -> list[Line]:
    inst = (c.LABEL_INSTANCE, "app-1:8000")
    route = (c.LABEL_ROUTE, "/api/v1/tasks")
    method = (c.LABEL_METHOD, "GET")
    per_step = per_second * STEP
    lines = []
    for cls, share in (("2xx", 1 - error_share), ("5xx", error_share)):
        labels = (inst, route, method, (c.LABEL_STATUS_CLASS, cls))
        count = per_step * share
        name = c.HTTP_SERVER_DURATION
        lines.append(Line(f"{name}_count", tuple(sorted(labels)), cumulative([count] * steps)))
        lines.append(Line(f"{name}_sum", tuple(sorted(labels)), cumulative([count * seconds] * steps)))
        for edge in (*HISTOGRAMS[name], float("inf")):
            fast = count * (1 - slow_share) if edge >= 0.1 else 0.0
            slow = count * slow_share if edge >= 7.5 else 0.0
            le = "+Inf" if edge == float("inf") else format_le(edge)
            bucket_labels = tuple(sorted((*labels, (c.LABEL_LE, le))))
            lines.append(Line(f"{name}_bucket", bucket_labels, cumulative([fast + slow] * steps)))
    return lines


def operations_scenarios() -> list[Scenario]:
    """An overloaded, failing instance, and a calm one."""
    steps = 30
    inst = ((c.LABEL_INSTANCE, "app-1:8000"),)
    names = (c.ALERT_ROLLBACK, c.ALERT_SCALE_OUT)

    def process(cpu: float, memory: float) -> list[Line]:
        return [
            Line(c.PROCESS_CPU, inst, cumulative([cpu * STEP] * steps)),
            Line(c.PROCESS_RESIDENT_MEMORY, inst, (memory * 1e9,) * (steps + 1)),
            Line(c.PROCESS_MEMORY_LIMIT, inst, (1e9,) * (steps + 1)),
        ]

    return [
        Scenario(
            "an overloaded instance failing 10% of slow requests triggers rollback and scale-out",
            steps,
            tuple(_http_lines(steps, 1200, 0.1, 0.5, 3.0) + process(0.8, 0.9)),
            names,
        ),
        Scenario(
            "a calm instance triggers nothing",
            steps,
            tuple(_http_lines(steps, 10, 0.001, 0.0, 0.1) + process(0.1, 0.3)),
            names,
        ),
    ]


def spend_scenarios(spend: SpendObjective) -> list[Scenario]:
    """A day over budget at an even pace, a runaway hour inside a day within budget, and an even day within it."""
    names = (c.ALERT_SPEND_OVER_BUDGET, c.ALERT_SPEND_PACE)
    labels = ((c.LABEL_GEN_AI_MODEL, "gemini-2.5-flash"), (c.LABEL_GEN_AI_PROVIDER, c.PROVIDER_GEMINI))
    day_steps = 86400 // STEP
    budget = spend.daily_budget
    pace = spend.pace.factor if spend.pace is not None else 4.0

    def even(share_of_budget: float, steps: int) -> Line:
        return Line(spend.cost.series, labels, cumulative([share_of_budget * budget / day_steps] * steps))

    hour = 3600 // STEP
    steps = day_steps + hour  # one length for all: promtool evaluates the rules at the start and at that end
    runaway = [0.0] * day_steps + [(pace + 2) * budget / 24 / hour] * hour  # a last hour above the pace, as a day
    return [
        Scenario(f"{spend.name}: a day at 1.5x the budget fires the over-budget alert", steps,
                 (even(1.5, steps),), names),
        Scenario(f"{spend.name}: a quiet day ending in an hour at {pace + 2:g}x the budget's pace fires the pace alert",
                 steps, (Line(spend.cost.series, labels, cumulative(runaway)),), names),
        Scenario(f"{spend.name}: a day at half the budget fires nothing", steps, (even(0.5, steps),), names),
    ]  # fmt: skip


def _annotation_index(spec: Spec) -> dict[tuple[str, str, str], dict[str, str]]:
    index = {}
    for content in rule_files(spec).values():
        for group in content["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    key = (rule["alert"], rule["labels"][c.LABEL_SEVERITY], rule["labels"][c.LABEL_SLO])
                    index[key] = rule["annotations"]
    return index


def _expected(alert: Alert, annotations: dict[tuple[str, str, str], dict[str, str]]) -> dict[str, Any]:
    labels = {c.LABEL_SEVERITY: alert.tier, c.LABEL_SLO: alert.slo, **dict(alert.labels)}
    notes = dict(annotations[(alert.name, alert.tier, alert.slo)])
    instance = labels.get(c.LABEL_INSTANCE, "")
    notes = {k: v.replace(f"{{{{ $labels.{c.LABEL_INSTANCE} }}}}", instance) for k, v in notes.items()}
    return {"exp_labels": dict(sorted(labels.items())), "exp_annotations": notes}


def engine_report(spec: Spec, scenario: Scenario) -> Report:
    """The engine's evaluation at the end of a scenario."""
    now = float(scenario.steps * STEP)
    series = [line.series() for line in scenario.lines]
    return evaluate(spec, answer(plan(spec, now), series, now), now)


def engine_alerts(spec: Spec, scenario: Scenario) -> list[Alert]:
    """The alerts the engine fires at the end of a scenario."""
    return [a for a in engine_report(spec, scenario).firing if a.name in scenario.alertnames]


def forecast_checks(spec: Spec, scenario: Scenario) -> list[dict[str, Any]]:
    """The recorded time to exhaustion equals the engine's (within 1e-9 relative), as a promtool expression test.

    promtool compares sample values exactly, and the rule and the engine round differently in the last bits, so
    the test asks Prometheus whether the two agree (1) rather than for the number itself.
    """
    if scenario.forecast is None or spec.policy is None:
        return []
    result = next(r for r in engine_report(spec, scenario).slos if r.slo == scenario.forecast)
    if result.time_to_exhaustion is None:
        return []
    labels = {c.LABEL_SLO: scenario.forecast, c.LABEL_WINDOW: spec.policy.exhaustion.window}
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    value = f"{result.time_to_exhaustion:.17g}"
    expr = f"abs({c.RULE_SLO_EXHAUSTION}{{{inner}}} - {value}) <= bool {value} * 1e-9"
    return [{"expr": expr, "eval_time": f"{scenario.steps}m", "exp_samples": [{"labels": f"{{{inner}}}", "value": 1}]}]


def suite(spec: Spec, scenarios: list[Scenario], rule_paths: list[str]) -> dict[str, Any]:
    """One promtool test file."""
    notes = _annotation_index(spec)
    tests = []
    for sc in scenarios:
        fired = engine_alerts(spec, sc)
        checks = []
        for name in sc.alertnames:
            expected = [_expected(a, notes) for a in fired if a.name == name]
            expected.sort(key=lambda e: sorted(e["exp_labels"].items()))
            checks.append({"eval_time": f"{sc.steps}m", "alertname": name, "exp_alerts": expected})
        test: dict[str, Any] = {
            "name": sc.name,
            "interval": "1m",
            "input_series": [line.promtool() for line in sc.lines],
            "alert_rule_test": checks,
        }
        expressions = forecast_checks(spec, sc)
        if expressions:
            test["promql_expr_test"] = expressions
        tests.append(test)
    # Alerts here have no `for`, so evaluating only at the start and at the end is enough and keeps promtool fast.
    longest = max(sc.steps for sc in scenarios)
    return {"rule_files": rule_paths, "evaluation_interval": f"{longest}m", "tests": tests}


def test_suites(spec: Spec, rule_paths: list[str]) -> dict[str, dict[str, Any]]:
    """File name -> promtool test suite, one per event SLO plus recovery, operations and spend."""
    out = {}
    for slo in spec.slos:
        if not isinstance(slo.indicator, GaugeIndicator):
            out[f"{slo.name}.test.yaml"] = suite(spec, slo_scenarios(slo, spec.policy is not None), rule_paths)
    gauges = [s for s in spec.slos if isinstance(s.indicator, GaugeIndicator)]
    if gauges:
        out["recovery.test.yaml"] = suite(spec, recovery_scenarios(gauges), rule_paths)
    if spec.rollback or spec.scaling is not None:
        out["operations.test.yaml"] = suite(spec, operations_scenarios(), rule_paths)
    if spec.spend is not None:
        out["spend.test.yaml"] = suite(spec, spend_scenarios(spec.spend), rule_paths)
    return out
