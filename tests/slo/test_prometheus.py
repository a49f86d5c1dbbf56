"""A real Prometheus, loaded with synthetic series and the generated rules, agrees with the engine.

The series (three days, one sample a minute, ending now) go to Prometheus as an OpenMetrics
file through `promtool tsdb create-blocks-from openmetrics`, and to the engine in memory. Numbers are compared
at a sample-aligned moment, where Prometheus needs no extrapolation; alerts are compared as Prometheus holds them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo import promql
from slo.catalog import HISTOGRAMS, format_le
from slo.cli import slo_cli, tier_exit_code
from slo.engine import evaluate, plan
from slo.engine.histogram import parse_le
from slo.generate import generated_files
from slo.load import load_spec
from slo.model import GaugeIndicator, LatencyIndicator, Spec
from slo.rules import slo_windows
from slo.sources.prometheus import PrometheusSource
from slo.sources.series import Series, answer
from telemetry import conventions as c
from tests.support import free_port, require_tool, stop_process

SPEC_PATH = Path(__file__).parent / "integration-spec.yaml"
STEP = 60
MINUTES = 3 * 24 * 60
INSTANCE = {"instance": "app-1:8000"}
HIST = "http_server_request_duration_seconds"
LOOKBACK = 900  # seconds a gauge sample stays current, for Prometheus and the engine alike
# route -> (requests a minute, share of errors, minutes before the end the errors start)
ROUTES = {
    "/r/critical": (1000.0, 0.20, 100),
    "/r/high": (1000.0, 0.08, 6 * 60 + 20),
    "/r/medium": (1000.0, 0.04, 24 * 60 + 20),
    "/r/low": (1000.0, 0.015, MINUTES),
    "/r/quiet": (1000.0, 0.005, MINUTES),
    "/r/sparse": (1 / 60, 0.5, MINUTES),
}
# latency route: (upper bound of the bucket the requests land in, share of requests)
LATENCY = ((0.1, 0.90), (0.3, 0.06), (0.75, 0.035), (2.0, 0.005))
LATENCY_PER_MINUTE = 600.0


@dataclass
class Loaded:
    spec: Spec
    series: list[Series]
    aligned: float  # a sample time in the past, for exact comparisons
    prometheus: PrometheusSource


def _cumulative(per_minute: list[float], start: float) -> list[tuple[float, float]]:
    points, total = [(start, 0.0)], 0.0
    for i, inc in enumerate(per_minute, 1):
        total += inc
        points.append((start + i * STEP, total))
    return points


def synthetic_series(end: float) -> list[Series]:
    """Every series of the scenario, counters from zero, one point a minute over three days up to `end`."""
    start = end - MINUTES * STEP
    out: list[Series] = []
    for route, (rate, share, minutes) in ROUTES.items():
        bad = [0.0] * (MINUTES - minutes) + [rate * share] * minutes
        good = [rate - b for b in bad]
        for cls, counts in (("2xx", good), ("5xx", bad)):
            labels = {**INSTANCE, "http_route": route, "http_status_class": cls}
            out.append(Series.of(f"{HIST}_count", labels, _cumulative(counts, start)))
    labels = {**INSTANCE, "http_route": "/r/latency", "http_status_class": "2xx"}
    out.append(Series.of(f"{HIST}_count", labels, _cumulative([LATENCY_PER_MINUTE] * MINUTES, start)))
    seconds = sum(bound * share for bound, share in LATENCY) * LATENCY_PER_MINUTE
    out.append(Series.of(f"{HIST}_sum", labels, _cumulative([seconds] * MINUTES, start)))
    for edge in (*HISTOGRAMS[HIST], math.inf):
        share = sum(s for bound, s in LATENCY if bound <= edge)
        le = "+Inf" if math.isinf(edge) else format_le(edge)
        out.append(
            Series.of(
                f"{HIST}_bucket", {**labels, "le": le}, _cumulative([LATENCY_PER_MINUTE * share] * MINUTES, start)
            )
        )
    out.append(Series.of("process_cpu_seconds_total", INSTANCE, _cumulative([0.5 * STEP] * MINUTES, start)))
    # model spend at 1.5x the 20 USD daily budget, evenly: over budget, well under the pace alert's 4x
    model = {**INSTANCE, c.LABEL_GEN_AI_PROVIDER: c.PROVIDER_GEMINI, c.LABEL_GEN_AI_MODEL: "gemini-2.5-flash"}
    out.append(Series.of(c.LLM_COST, model, _cumulative([30.0 / 1440] * MINUTES, start)))
    times = [start + i * STEP for i in range(MINUTES + 1)]

    def gauge(name: str, value: float, labels: dict[str, str] | None = None) -> Series:
        return Series.of(name, labels or {}, [(t, value) for t in times])

    now = time.time()
    out += [
        gauge("process_resident_memory_bytes", 0.9e9, INSTANCE),
        gauge("todochat_process_memory_limit_bytes", 1e9, INSTANCE),
        gauge("todochat_restore_drill_rto_seconds", 1800.0),  # breaks the critical RTO only
        gauge("todochat_restore_drill_last_run_timestamp_seconds", now - 86400),
        gauge("todochat_restore_drill_success", 1.0),
        gauge("todochat_backup_last_success_timestamp_seconds", now - 30 * 3600),  # breaks backup-age (high)
    ]
    return out


def openmetrics(series: list[Series]) -> str:
    """The series as one OpenMetrics text file with timestamps, one family after another."""
    families: dict[str, list[Series]] = {}
    for s in series:
        base = s.name
        for suffix in ("_bucket", "_count", "_sum"):
            if s.name == HIST + suffix:
                base = HIST
        families.setdefault(base.removesuffix("_total"), []).append(s)
    lines = []
    for family, members in families.items():
        kind = "histogram" if family == HIST else "counter" if members[0].name.endswith("_total") else "gauge"
        lines.append(f"# TYPE {family} {kind}")
        for s in members:
            labels = ",".join(f'{k}="{v}"' for k, v in s.labels)
            head = f"{s.name}{{{labels}}}" if labels else s.name
            lines += [f"{head} {value!r} {ts:.0f}" for ts, value in s.points]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    promtool = require_tool("promtool")
    prometheus = require_tool("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    spec = load_spec(SPEC_PATH)
    # Ends now, not later: Prometheus refuses to record rule results older than its newest block.
    end = math.floor(time.time() / STEP) * STEP
    series = synthetic_series(end)
    (work / "series.om").write_text(openmetrics(series))
    data = work / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(work / "series.om"), str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    rule_files = []
    for rel, text in generated_files(spec, "integration-spec.yaml").items():
        if rel.endswith(".rules.yaml"):
            (work / rel).write_text(text)
            rule_files.append(rel)
    (work / "prometheus.yml").write_text(
        "global:\n  evaluation_interval: 5s\nrule_files:\n" + "".join(f"  - {r}\n" for r in rule_files)
    )
    port = free_port()
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=30d",
            f"--query.lookback-delta={LOOKBACK // 60}m",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not become ready:\n{(work / 'prometheus.log').read_text()[-3000:]}")
            time.sleep(0.3)
        source = PrometheusSource(url)
        started = time.time()
        for _ in range(240):  # bounded: until every rule group has been evaluated after start
            groups = source._get("/api/v1/rules", {})["groups"]
            if groups and all(_ts(g["lastEvaluation"]) > started for g in groups):
                break
            time.sleep(0.5)
        else:
            pytest.fail("prometheus did not evaluate every rule group within two minutes")
        yield Loaded(spec, series, end, source)
    finally:
        stop_process(proc, timeout=20)
        log.close()


def _ts(text: str) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, Z) as Unix seconds."""
    from datetime import datetime

    whole = text.rstrip("Z").split(".")[0]
    return datetime.fromisoformat(whole + "+00:00").timestamp()


def test_error_ratios_and_burn_rates_match_prometheus(loaded: Loaded) -> None:
    spec, at = loaded.spec, loaded.aligned
    report = evaluate(spec, answer(plan(spec, at), loaded.series, at), at)
    compared = 0
    for result in report.slos:
        slo = spec.slo(result.slo)
        for label, window in slo_windows(slo):
            ours = result.window_result(label)
            theirs = loaded.prometheus.query(promql.error_ratio(slo, window), at)
            if ours.error_ratio is None:
                assert theirs == []
                continue
            ((_, value),) = theirs
            assert value == pytest.approx(ours.error_ratio, rel=1e-6, abs=1e-12), (slo.name, label)
            assert value / slo.error_budget == pytest.approx(ours.burn_rate, rel=1e-6, abs=1e-9)
            compared += 1
    assert compared >= 60


def test_percentiles_match_prometheus_within_bucket_resolution(loaded: Loaded) -> None:
    spec, at = loaded.spec, loaded.aligned
    report = evaluate(spec, answer(plan(spec, at), loaded.series, at), at)
    for name, expected_bucket in (("latency-p95", (0.25, 0.3)), ("latency-p99", (0.5, 0.75))):
        slo = spec.slo(name)
        ind = slo.indicator
        assert isinstance(ind, LatencyIndicator)
        result = next(r for r in report.slos if r.slo == name)
        for label, window in slo_windows(slo):
            ours = result.window_result(label).percentile
            ((_, theirs),) = loaded.prometheus.query(
                promql.latency_quantile(ind.percentile or 0, ind.buckets, window), at
            )
            assert ours is not None
            assert expected_bucket[0] < ours <= expected_bucket[1]
            assert expected_bucket[0] < theirs <= expected_bucket[1]
            assert theirs == pytest.approx(ours, rel=1e-9)


def test_the_same_alerts_fire_in_prometheus_and_in_the_engine(loaded: Loaded) -> None:
    spec = loaded.spec
    held = loaded.prometheus.alerts()
    now = time.time()
    report = evaluate(spec, loaded.prometheus.answer(plan(spec, now), now), now)
    in_prometheus = {
        (a["labels"]["alertname"], a["labels"]["slo"], a["labels"]["severity"]) for a in held if a["state"] == "firing"
    }
    from_series = evaluate(spec, answer(plan(spec, now), loaded.series, now, lookback=LOOKBACK), now)
    in_engine = {(a.name, a.slo, a.tier) for a in from_series.firing}
    assert in_prometheus == in_engine
    assert {(a.name, a.slo, a.tier) for a in report.firing} == in_engine  # the engine reading Prometheus agrees
    burn = {(slo, tier) for name, slo, tier in in_engine if name == "SLOErrorBudgetBurn"}
    assert burn == {
        ("burst-critical", "critical"),
        ("burn-high", "high"),
        ("burn-medium", "medium"),
        ("burn-medium", "low"),
        ("burn-low", "low"),
    }
    assert ("RecoveryObjectiveBreached", "restore-time", "critical") in in_engine
    assert ("RecoveryObjectiveBreached", "backup-age", "high") in in_engine
    assert ("ScaleOutSignal", "scaling-memory", "medium") in in_engine
    assert (c.ALERT_SPEND_OVER_BUDGET, "llm-spend", "medium") in in_engine
    assert not any(name == c.ALERT_SPEND_PACE for name, _, _ in in_engine)


def test_the_recorded_spend_equals_the_engines(loaded: Loaded) -> None:
    spec, source = loaded.spec, loaded.prometheus
    assert spec.spend is not None
    ((_, at),) = source.query(f'timestamp({c.RULE_LLM_SPEND}{{{c.LABEL_WINDOW}="1d"}})')
    # At the moment the rule group recorded it, the engine asks Prometheus the raw increase and judges it.
    alone = dataclasses.replace(spec, slos=(), rollback=(), scaling=None, policy=None)
    engine = {s.name: s.value for s in evaluate(alone, source.answer(plan(alone, at), at), at).spend}
    recorded = {w: source.query(f'{c.RULE_LLM_SPEND}{{{c.LABEL_WINDOW}="{w}"}}', at)[0][1] for w in ("1d", "1h")}
    assert recorded["1d"] == pytest.approx(engine["llm-spend-1d"], rel=1e-9)
    assert recorded["1h"] * 24 == pytest.approx(engine["llm-spend-pace-1h"], rel=1e-9)
    assert 20 < recorded["1d"] < 31  # 1.5x the budget, the last samples a few minutes old


def test_evaluate_command_exits_with_the_worst_tier(loaded: Loaded) -> None:
    result = CliRunner().invoke(
        slo_cli, ["evaluate", "--prometheus", loaded.prometheus.url, "--spec", str(SPEC_PATH), "--json"]
    )
    assert result.exit_code == tier_exit_code("critical") == 14, result.output
    assert '"worst_tier": "critical"' in result.output


def test_the_recorded_time_to_exhaustion_equals_the_engines(loaded: Loaded) -> None:
    spec, source = loaded.spec, loaded.prometheus
    stamps = source.query(f"timestamp({c.RULE_SLO_EXHAUSTION})")
    events = [s for s in spec.slos if not isinstance(s.indicator, GaugeIndicator)]
    assert {labels["slo"] for labels, _ in stamps} == {s.name for s in events}
    finite = 0
    for labels, at in stamps:
        # At the moment the rule group recorded it, the engine asks Prometheus the raw counts and computes its own.
        slo = spec.slo(labels["slo"])
        alone = dataclasses.replace(spec, slos=(slo,), rollback=(), scaling=None)
        result = evaluate(alone, source.answer(plan(alone, at), at), at).slos[0]
        recorded = source.query(f'{c.RULE_SLO_EXHAUSTION}{{slo="{slo.name}",window="6h"}}', at)
        value = recorded[0][1] if recorded else math.nan  # NaN answers are left out
        if result.time_to_exhaustion is None:
            assert math.isnan(value) or math.isinf(value), (slo.name, value)
            continue
        assert value == pytest.approx(result.time_to_exhaustion, rel=1e-9, abs=1e-6), slo.name
        finite += 1
    assert finite == len(events)  # every SLO of the scenario burns some budget


def test_the_forecast_fires_for_the_slos_whose_budget_goes_within_72_hours(loaded: Loaded) -> None:
    held = {a["labels"]["slo"] for a in loaded.prometheus.alerts() if a["labels"]["alertname"] == c.ALERT_EXHAUSTION}
    # budget left 54% at 5.6x (70 h), 30% at 8x, and three spent budgets; quiet and the latency SLOs last for weeks,
    # and sparse has too few events in 6 h to forecast
    assert held == {"burst-critical", "burn-high", "burn-medium", "burn-low"}


def test_policy_check_prints_the_decision_and_exits_with_its_action(loaded: Loaded) -> None:
    args = ["policy", "check", "--prometheus", loaded.prometheus.url, "--spec", str(SPEC_PATH)]
    result = CliRunner().invoke(slo_cli, [*args, "--json"])
    assert result.exit_code == 23, result.output
    decision = json.loads(result.output)
    assert (decision["action"], decision["slo"], decision["step"]) == ("freeze_all", "burn-medium", "budget-spent")
    per_slo = {d["slo"]: (d["action"], d["step"]) for d in decision["slos"]}
    assert per_slo == {
        "burst-critical": ("none", None),
        "burn-high": ("freeze_features", "budget-low"),
        "burn-medium": ("freeze_all", "budget-spent"),
        "burn-low": ("freeze_all", "budget-spent"),
        "quiet": ("none", None),
        "sparse": ("none", None),  # 72 events in 30 days: fewer than minEvents
        "latency-p95": ("freeze_features", "budget-low"),
        "latency-p99": ("none", None),
    }
    assert decision["time_to_exhaustion"]["burn-medium"] == 0
    table = CliRunner().invoke(slo_cli, args)
    assert table.exit_code == 23
    assert "decision: freeze_all (exit 23)" in table.output
    assert "set by SLO burn-medium, step budget-spent: budget left" in table.output


def test_evaluate_command_says_when_prometheus_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(slo_cli, ["evaluate", "--prometheus", url, "--spec", str(SPEC_PATH)])
    assert result.exit_code == 69
    assert "cannot reach Prometheus" in result.output


def test_bucket_bounds_parse() -> None:
    assert parse_le("+Inf") == math.inf
