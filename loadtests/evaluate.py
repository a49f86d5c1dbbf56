"""Judging a recorded run with the SLO engine: steady-state windows, windowed rollback rule, capacity, exit codes.

Pure functions of a `Recording`, a scenario and the spec: the gate calls them while Locust runs (early abort)
and once it has finished (the verdict); the tests call them on recorded samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from loadtests.profiles import Phase, Scenario
from loadtests.samples import Recording
from slo.engine.gate import Check, EndpointWindow, GateResult, GateThresholds, Latencies, check_load
from slo.model import LatencyIndicator, Spec
from telemetry import conventions as c

CHAT_ROUTES = ("/api/v1/chat", "/api/v1/chat/stream")

# Exit codes of `todochat loadtest gate`: 0 passes; one code per kind of breach. When several kinds breach,
# the most severe (first in this order) is the exit code; the reports list them all.
EXIT_PASSED = 0
EXIT_NOT_RUN = 3  # the run could not happen or recorded nothing to judge (start-up failed, Locust crashed)
EXIT_CODES: dict[str, int] = {
    "rollback": 10,  # the spec's rollback rule: error rate above 5% over the (scaled) window
    "errors": 11,  # error ratio above the availability SLO's error budget
    "latency": 12,  # a P95/P99 per endpoint above its SLO
    "response_time": 13,  # average response time above the scale-out threshold (2 s)
    "throughput": 14,  # requests/s (or capacity) below the minimum
}
# A breach this much past its limit is clear enough to stop the run early.
ABORT_LATENCY_FACTOR = 1.5
ABORT_MIN_SAMPLES = 30
ABORT_MIN_REQUESTS = 20
MIN_ROLLBACK_WINDOW_SECONDS = 10.0
MIN_TAIL_SAMPLES = 10  # requests beyond a percentile before an endpoint is judged alone at it
# The least requests/s a user of each kind makes when the build is healthy, for the throughput floor of paced
# runs: well below what a healthy build makes, so a busy machine does not fail it (docs/performance.md).
FLOOR_RPS_PER_USER = {"ChatUser": 0.07, "TasksUser": 0.3, "ReaderUser": 0.4}


def thresholds(spec: Spec, *, min_requests_per_second: float = 0.0) -> GateThresholds:
    """The spec's load thresholds; chat routes are judged by the chat-turn latency SLO (a turn is one request)."""
    limits = GateThresholds.from_spec(spec, min_requests_per_second=min_requests_per_second)
    turn = [
        (s.indicator.percentile, s.indicator.threshold)
        for s in spec.slos
        if isinstance(s.indicator, LatencyIndicator)
        and s.indicator.metric == c.CHAT_TURN_DURATION
        and s.indicator.percentile is not None
    ]
    objectives = dict(limits.route_objectives)
    for route in CHAT_ROUTES:
        objectives[route] = (*objectives.get(route, ()), *turn)
    return replace(limits, route_objectives=objectives)


def rollback_window_seconds(spec: Spec, scale: float) -> float:
    """The spec's error-rate rollback window, scaled to the run's length (at least 10 s)."""
    windows = [t.window_seconds for t in spec.rollback if t.kind == "error_ratio"]
    return max(MIN_ROLLBACK_WINDOW_SECONDS, (min(windows) if windows else 900) * scale)


def min_rps_of(scenario: Scenario, spec: Spec, users: int) -> float:
    """The throughput floor: the scenario's own, the spec's scale-out rate for capacity runs, else from the mix."""
    if scenario.min_rps is not None:
        return scenario.min_rps
    if scenario.capacity:
        return 0.0
    total = sum(scenario.mix.values())
    return sum(users * w / total * FLOOR_RPS_PER_USER.get(name, 0.0) for name, w in scenario.mix.items())


@dataclass(frozen=True, slots=True)
class Span:
    """A judged phase's steady-state window, in wall-clock seconds."""

    phase: Phase
    start: float
    end: float


def steady_spans(scenario: Scenario, start: float) -> list[Span]:
    """Every judged phase's window: from its start plus its settle time to its end."""
    spans, offset = [], start
    for phase in scenario.phases:
        if phase.judged:
            spans.append(Span(phase, math.ceil(offset + phase.settle), math.floor(offset + phase.seconds)))
        offset += phase.seconds
    return spans


def endpoint_windows(recording: Recording, start: float, end: float) -> list[EndpointWindow]:
    """Per endpoint, the requests of the window as the SLO engine takes them."""
    out = []
    for key, bucket in sorted(recording.window(start, end).items()):
        method, _, name = key.partition(" ")
        out.append(
            EndpointWindow(name, method, bucket.requests, bucket.failures, Latencies.of_milliseconds(bucket.histogram))
        )
    return out


def worst_rollback_window(recording: Recording, start: float, end: float, seconds: float) -> tuple[float | None, int]:
    """The highest error ratio over any `seconds`-long window inside [start, end), and its request count."""
    rows = list(recording.per_second(start, end))
    if not rows:
        return None, 0
    width = int(min(seconds, end - start))
    by_second = {t: (n, f) for t, n, f in rows}
    worst: tuple[float | None, int] = (None, 0)
    first, last = int(start), int(end) - width
    for t0 in range(first, max(first, last) + 1):
        n = sum(by_second.get(t, (0, 0))[0] for t in range(t0, t0 + width))
        f = sum(by_second.get(t, (0, 0))[1] for t in range(t0, t0 + width))
        if n and (worst[0] is None or f / n > worst[0]):
            worst = (f / n, n)
    return worst


def _merged(windows: list[EndpointWindow]) -> Latencies:
    tally: dict[float, int] = {}
    for ep in windows:
        for value, count in ep.latencies.counts:
            tally[value] = tally.get(value, 0) + count
    return Latencies(tuple(sorted(tally.items())))


def latency_checks(endpoints: list[EndpointWindow], limits: GateThresholds) -> tuple[Check, ...]:
    """Percentile checks: each SLO over all the routes it selects (as the SLO itself is defined), and each
    endpoint on its own once it has enough requests for that percentile to mean something.

    A P95 over 70 requests is decided by its 4 slowest; one stalled second on a busy machine moves it. So an
    endpoint is judged alone at quantile q only with at least MIN_TAIL_SAMPLES requests beyond it
    (P95: 200 requests, P99: 1000); below that it is still judged, within its SLO's pool.
    """
    pools: dict[tuple[tuple[float, float], ...], list[EndpointWindow]] = {}
    for ep in endpoints:
        objectives = limits.for_endpoint(ep.name)
        if objectives and ep.latencies.count:
            pools.setdefault(objectives, []).append(ep)
    checks: list[Check] = []
    for objectives, members in pools.items():
        pooled = _merged(members)
        alone = len(members) == 1
        name = f"{members[0].method} {members[0].name}" if alone else f"API, {len(members)} routes together"
        for q, limit in objectives:
            value = pooled.percentile(q)
            checks.append(Check("latency", f"{name} p{q * 100:g}", value, limit, value is None or value <= limit))
            if alone:
                continue
            for ep in members:
                if ep.latencies.count * (1 - q) >= MIN_TAIL_SAMPLES:
                    value = ep.latencies.percentile(q)
                    subject = f"{ep.method} {ep.name} p{q * 100:g}"
                    checks.append(Check("latency", subject, value, limit, value is None or value <= limit))
    return tuple(checks)


@dataclass(frozen=True, slots=True)
class EndpointSummary:
    name: str
    method: str
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One judged window: what happened, and the checks on it."""

    label: str
    users: int
    seconds: float
    requests: int
    failures: int
    endpoints: tuple[EndpointSummary, ...]
    result: GateResult

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def judge_span(
    recording: Recording, span: Span, limits: GateThresholds, window_seconds: float, *, end: float | None = None
) -> PhaseResult:
    """Check one steady window with the SLO engine; the rollback rule is judged on its worst sliding window."""
    stop = min(span.end, end) if end is not None else span.end
    seconds = max(stop - span.start, 0.0)
    endpoints = endpoint_windows(recording, span.start, stop)
    without_latency = replace(limits, percentiles=(), route_objectives={})
    result = check_load(endpoints, seconds, without_latency)
    worst, n = worst_rollback_window(recording, span.start, stop, window_seconds)
    rollback = Check(
        "rollback",
        f"error ratio, worst {window_seconds:g} s window",
        worst,
        limits.rollback_error_ratio,
        worst is None or n < ABORT_MIN_REQUESTS or worst <= limits.rollback_error_ratio,
    )
    others = tuple(rollback if ch.kind == "rollback" else ch for ch in result.checks)
    checks = latency_checks(endpoints, limits) + others
    summaries = tuple(
        EndpointSummary(
            ep.name,
            ep.method,
            ep.requests,
            ep.failures,
            ep.requests / seconds if seconds else 0.0,
            ep.latencies.percentile(0.5),
            ep.latencies.percentile(0.95),
            ep.latencies.percentile(0.99),
            ep.latencies.mean(),
        )
        for ep in endpoints
    )
    return PhaseResult(
        span.phase.label,
        span.phase.users,
        seconds,
        sum(ep.requests for ep in endpoints),
        sum(ep.failures for ep in endpoints),
        summaries,
        GateResult(checks),
    )


@dataclass(frozen=True, slots=True)
class ScenarioVerdict(GateResult):
    """A scenario's checks (capacity, or every phase's checks), its judged phases and why it stopped early."""

    name: str = ""
    phases: tuple[PhaseResult, ...] = ()
    capacity_rps: float | None = None
    aborted: str | None = None


def evaluate(
    recording: Recording,
    scenario: Scenario,
    spec: Spec,
    *,
    window_scale: float,
    aborted: str | None = None,
) -> ScenarioVerdict:
    """The verdict on a finished (or stopped) run."""
    if recording.start is None:
        missing = Check("throughput", "requests recorded", None, 1.0, False)
        return ScenarioVerdict((missing,), scenario.name, aborted=aborted or "nothing was recorded")
    window = rollback_window_seconds(spec, window_scale)
    last = recording.last_second
    end = float(last) if last is not None else recording.start  # the last second may be partial
    phases = []
    for span in steady_spans(scenario, recording.start):
        if span.start >= end:
            break  # stopped before this phase's steady state
        limits = thresholds(spec, min_requests_per_second=min_rps_of(scenario, spec, span.phase.users))
        phases.append(judge_span(recording, span, limits, window, end=end))
    if not scenario.capacity:
        checks: list[Check] = []
        for p in phases:
            prefix = f"{p.label}: " if len(phases) > 1 else ""
            checks += [replace(ch, subject=prefix + ch.subject) for ch in p.result.checks]
        if not phases:
            checks.append(Check("throughput", "steady-state requests", 0.0, 1.0, False))
        return ScenarioVerdict(tuple(checks), scenario.name, tuple(phases), aborted=aborted)
    within = [p.rps for p in phases if _within_slo(p.result)]
    capacity = max(within) if within else None
    floor = scenario.min_rps if scenario.min_rps is not None else spec_rate(spec)
    check = Check(
        "throughput",
        "capacity within the SLO (requests/s)",
        capacity,
        floor,
        capacity is not None and capacity >= floor,
    )
    return ScenarioVerdict((check,), scenario.name, tuple(phases), capacity_rps=capacity, aborted=aborted)


def spec_rate(spec: Spec) -> float:
    """The spec's scale-out request rate per instance (what one instance must sustain)."""
    return spec.scaling.requests_per_second if spec.scaling else 0.0


def _within_slo(result: GateResult) -> bool:
    return all(ch.passed for ch in result.checks if ch.kind != "throughput")


def clear_breach(
    recording: Recording, scenario: Scenario, spec: Spec, *, window_scale: float, until: float
) -> str | None:
    """Why to stop now, if a judged window so far shows a breach well past doubt; None to carry on."""
    if recording.start is None:
        return None
    window = rollback_window_seconds(spec, window_scale)
    limits = thresholds(spec)
    for span in steady_spans(scenario, recording.start):
        stop = min(span.end, until)
        if stop - span.start < 1:
            continue
        if stop - span.start >= window:
            worst, n = worst_rollback_window(recording, span.start, stop, window)
            if worst is not None and n >= ABORT_MIN_REQUESTS and worst > limits.rollback_error_ratio:
                rule = limits.rollback_error_ratio
                return f"{span.phase.label}: error ratio {worst:.1%} over {window:g} s (rollback rule: {rule:.0%})"
        for ep in endpoint_windows(recording, span.start, stop):
            if ep.latencies.count < ABORT_MIN_SAMPLES:
                continue
            for q, limit in limits.for_endpoint(ep.name):
                value = ep.latencies.percentile(q)
                if value is not None and value > ABORT_LATENCY_FACTOR * limit:
                    return f"{span.phase.label}: {ep.method} {ep.name} p{q * 100:g} {value:.2f} s (limit {limit:g} s)"
    return None


def exit_code(kinds: tuple[str, ...] | list[str]) -> int:
    """0 without breaches, else the code of the most severe kind."""
    for kind in EXIT_CODES:
        if kind in kinds:
            return EXIT_CODES[kind]
    return EXIT_PASSED
