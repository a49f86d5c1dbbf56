"""The SLO report over a range of time, as data: the engine evaluated at every step, alerts as episodes. Pure.

`build_report(spec, span, answers, alerts)` takes what Prometheus answered over the range (slo.sources.range
fetches it) and evaluates the spec at each step exactly as `todochat slo evaluate --at` would, so the report's
figures are the engine's. Drawing (slo.report_charts) and writing (slo.report_render, the CLI) come after.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slo.durations import format_duration
from slo.engine import evaluate, plan
from slo.engine.queries import Observations, Query
from slo.engine.results import GaugeResult, PolicyDecision, Report, SLODecision, SLOResult
from slo.model import SLO, GaugeIndicator, LatencyIndicator, Spec
from telemetry import conventions as c

NICE_STEPS = (60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
MAX_POINTS = 240  # per chart line: enough for a week at one point an hour
SHORT_WINDOW = "1h"  # the SLI "now" beside the SLI over the SLO's whole period


@dataclass(frozen=True, slots=True)
class Span:
    """The report's range: step times from `end` back to `start`, `step` seconds apart (`end` always included)."""

    start: float
    end: float
    step: float

    @property
    def times(self) -> tuple[float, ...]:
        count = math.floor((self.end - self.start) / self.step + 1e-9) + 1
        return tuple(self.end - (count - 1 - k) * self.step for k in range(count))

    @property
    def label(self) -> str:
        return format_duration(round(self.end - self.start)) if self.end > self.start else "0s"


def choose_step(seconds: float) -> int:
    """The smallest round step that draws the range in at most MAX_POINTS points."""
    return next((s for s in NICE_STEPS if seconds / s <= MAX_POINTS), NICE_STEPS[-1])


def report_spec(spec: Spec) -> Spec:
    """The spec as the report evaluates it: SLOs, recovery objectives and the policy; rollback and scaling left out."""
    return dataclasses.replace(spec, rollback=(), scaling=None)


def range_queries(spec: Spec, span: Span) -> list[Query]:
    """What the report needs answered at every step (SLO windows are rolling, so one plan serves every step)."""
    return plan(report_spec(spec), span.end)


@dataclass(frozen=True, slots=True)
class RangeAnswers:
    """Each query's answer at each step time: query -> time -> {group: value} (a missing time: no series)."""

    values: Mapping[Query, Mapping[float, Mapping[str, float]]]

    def at(self, at: float) -> Observations:
        return {q: by_time.get(at, {}) for q, by_time in self.values.items()}


@dataclass(frozen=True, slots=True)
class AlertSamples:
    """One alert (its labels, alertstate left out) over the range: the steps it fired in, and when it went active.

    `firing`: step times at which the alert was firing at some moment of the step before.
    `active_since`: (step time, the alert's activeAt) from Prometheus' ALERTS_FOR_STATE.
    """

    labels: tuple[tuple[str, str], ...]
    firing: tuple[float, ...]
    active_since: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class AlertEpisode:
    """One stretch of an alert firing. `start` is when it went active, `end` the last step it fired in."""

    name: str
    slo: str
    tier: str
    labels: tuple[tuple[str, str], ...]
    start: float
    end: float
    ongoing: bool  # still firing at the report's end

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


def episodes(samples: Sequence[AlertSamples], span: Span) -> tuple[AlertEpisode, ...]:
    """Consecutive firing steps joined into episodes, in time order (then by name, SLO and tier)."""
    out = []
    for alert in samples:
        labels = dict(alert.labels)
        since = dict(alert.active_since)
        run: list[float] = []
        for at in (*sorted(alert.firing), math.inf):
            if run and at - run[-1] > span.step * 1.5:
                known = [since[t] for t in run if t in since and since[t] <= t]
                start = min(known) if known else run[0] - span.step
                ongoing = run[-1] >= span.end - span.step / 2
                out.append(
                    AlertEpisode(
                        labels.get(c.LABEL_ALERTNAME, "?"),
                        labels.get(c.LABEL_SLO, ""),
                        labels.get(c.LABEL_SEVERITY, ""),
                        tuple(sorted((k, v) for k, v in alert.labels if k not in (c.LABEL_ALERTNAME, c.LABEL_SLO))),
                        start,
                        run[-1],
                        ongoing,
                    )
                )
                run = []
            run.append(at)
    return tuple(sorted(out, key=lambda e: (e.start, e.name, e.slo, e.tier)))


Values = tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class SLOHistory:
    """One event SLO over the range: its figures at every step, its end state, its alerts and policy step."""

    slo: str
    description: str
    kind: str
    objective: float
    window: str  # the SLO's period, e.g. 30d
    threshold: float | None  # latency SLOs: seconds
    quantile: float | None  # latency percentile SLOs: 0.95 for P95
    times: tuple[float, ...]
    sli: Values  # over the SLO's period
    sli_short: Values  # over SHORT_WINDOW
    budget_remaining: Values  # share of the budget left; below 0 overspent
    time_to_exhaustion: Values  # seconds; None while nothing burns
    percentile: Values  # latency percentile SLOs: seconds over the period
    percentile_short: Values
    final: SLOResult
    decision: SLODecision | None
    alerts: tuple[AlertEpisode, ...]

    @property
    def has_data(self) -> bool:
        return any(v is not None for v in self.sli)

    @property
    def budget_spent(self) -> float | None:
        """Share of the budget spent over the range: budget left at the first step with data minus at the end."""
        known = [v for v in self.budget_remaining if v is not None]
        return None if len(known) < 2 else known[0] - known[-1]


@dataclass(frozen=True, slots=True)
class SLOReport:
    """The whole report: per SLO its history, the policy's decision then and over time, every alert that fired."""

    service: str
    source: str
    span: Span
    slos: tuple[SLOHistory, ...]
    decision: PolicyDecision | None  # at the end of the range; None without a policy
    actions: tuple[str, ...]  # the decision's action at every step (empty without a policy)
    thresholds: tuple[tuple[str, float], ...]  # policy steps on budget left: (step name, share)
    exhaustion_window: str | None
    horizon_seconds: float | None
    alerts: tuple[AlertEpisode, ...]  # every episode, the SLOs' and the others'
    recovery: tuple[GaugeResult, ...]  # recovery objectives at the end


def _latency_quantile(slo: SLO) -> float | None:
    ind = slo.indicator
    return ind.percentile if isinstance(ind, LatencyIndicator) else None


def _history(slo: SLO, times: tuple[float, ...], reports: list[Report], alerts: tuple[AlertEpisode, ...]) -> SLOHistory:
    results = [next(r for r in report.slos if r.slo == slo.name) for report in reports]
    final, last = results[-1], reports[-1]
    decision = None if last.policy is None else next((d for d in last.policy.slos if d.slo == slo.name), None)
    short = [r.window_result(SHORT_WINDOW) for r in results]
    period = [r.windows[-1] for r in results]
    ind = slo.indicator
    return SLOHistory(
        slo=slo.name,
        description=slo.description,
        kind=final.kind,
        objective=slo.objective,
        window=slo.window.label,
        threshold=ind.threshold if isinstance(ind, LatencyIndicator) else None,
        quantile=_latency_quantile(slo),
        times=times,
        sli=tuple(r.sli for r in results),
        sli_short=tuple(None if w.error_ratio is None else 1.0 - w.error_ratio for w in short),
        budget_remaining=tuple(r.error_budget_remaining for r in results),
        time_to_exhaustion=tuple(r.time_to_exhaustion for r in results),
        percentile=tuple(w.percentile for w in period),
        percentile_short=tuple(w.percentile for w in short),
        final=final,
        decision=decision,
        alerts=tuple(a for a in alerts if a.slo == slo.name),
    )


def build_report(spec: Spec, span: Span, answers: RangeAnswers, alerts: Sequence[AlertSamples]) -> SLOReport:
    """Evaluate the spec at every step of the span from the answers, and gather the alerts into episodes."""
    evaluated = report_spec(spec)
    times = span.times
    reports = [evaluate(evaluated, answers.at(at), at) for at in times]
    fired = episodes(alerts, span)
    events = [s for s in spec.slos if not isinstance(s.indicator, GaugeIndicator)]
    policy = spec.policy
    return SLOReport(
        service=spec.service,
        source=spec.source,
        span=span,
        slos=tuple(_history(s, times, reports, fired) for s in events),
        decision=reports[-1].policy,
        actions=tuple(r.policy.action for r in reports if r.policy is not None),
        thresholds=()
        if policy is None
        else tuple(
            (step.name, step.condition.budget_remaining_at_most)
            for step in policy.steps
            if step.condition.budget_remaining_at_most is not None
        ),
        exhaustion_window=None if policy is None else policy.exhaustion.window,
        horizon_seconds=None if policy is None else float(policy.exhaustion.horizon_seconds),
        alerts=fired,
        recovery=reports[-1].recovery,
    )
