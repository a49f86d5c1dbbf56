"""Load-test thresholds from the spec, checked on one steady-state window of a load run.

Feed it per-endpoint latency samples (or Locust-style {milliseconds: count} histograms), request and
failure counts, and the window's length; it answers every check and the breaches by kind.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from slo.engine.histogram import nearest_rank
from slo.model import LatencyIndicator, RatioIndicator, Spec
from telemetry import conventions as c

BreachKind = Literal["latency", "errors", "throughput", "response_time", "rollback"]


@dataclass(frozen=True, slots=True)
class Latencies:
    """Response times of one endpoint in a window: counts per duration in seconds."""

    counts: tuple[tuple[float, int], ...]

    @classmethod
    def of_samples(cls, seconds: list[float]) -> Latencies:
        tally: dict[float, int] = {}
        for s in seconds:
            tally[s] = tally.get(s, 0) + 1
        return cls(tuple(sorted(tally.items())))

    @classmethod
    def of_milliseconds(cls, histogram: Mapping[int, int] | Mapping[str, int]) -> Latencies:
        """From a Locust `response_times` dict (rounded milliseconds -> count)."""
        return cls(tuple(sorted((float(k) / 1000.0, int(v)) for k, v in histogram.items() if int(v) > 0)))

    @property
    def count(self) -> int:
        return sum(n for _, n in self.counts)

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile (no interpolation), None when empty."""
        total = self.count
        if total == 0:
            return None
        rank = max(math.ceil(q * total), 1)
        seen = 0
        for value, n in self.counts:
            seen += n
            if seen >= rank:
                return value
        return self.counts[-1][0]

    def mean(self) -> float | None:
        total = self.count
        return None if total == 0 else sum(v * n for v, n in self.counts) / total


@dataclass(frozen=True, slots=True)
class EndpointWindow:
    """One endpoint's traffic in the steady-state window."""

    name: str
    method: str
    requests: int
    failures: int
    latencies: Latencies


@dataclass(frozen=True, slots=True)
class GateThresholds:
    """What a load run must meet; `from_spec` derives them from the SLO spec."""

    percentiles: tuple[tuple[str, float, float], ...]  # (route pattern or "*", quantile, max seconds)
    max_error_ratio: float
    rollback_error_ratio: float
    max_average_seconds: float
    min_requests_per_second: float = 0.0
    route_objectives: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    def for_endpoint(self, name: str) -> tuple[tuple[float, float], ...]:
        """(quantile, max seconds) that apply to an endpoint."""
        if name in self.route_objectives:
            return self.route_objectives[name]
        return tuple((q, limit) for pattern, q, limit in self.percentiles if pattern in ("*", name))

    @classmethod
    def from_spec(cls, spec: Spec, *, min_requests_per_second: float = 0.0, error_scale: float = 1.0) -> GateThresholds:
        """HTTP latency percentile SLOs apply to every route they select; errors from the HTTP ratio SLOs;
        the rollback error rule and the average response time from the rollback and scaling sections."""
        percentiles = []
        route_objectives: dict[str, list[tuple[float, float]]] = {}
        for slo in spec.slos:
            ind = slo.indicator
            if isinstance(ind, LatencyIndicator) and ind.metric == c.HTTP_SERVER_DURATION and ind.percentile:
                negated = [m for m in ind.matchers if m.label == c.LABEL_ROUTE and m.negate]
                chosen = [m for m in ind.matchers if m.label == c.LABEL_ROUTE and not m.negate]
                if chosen:
                    for route in chosen[0].values:
                        route_objectives.setdefault(route, []).append((ind.percentile, ind.threshold))
                else:
                    percentiles.append(("*", ind.percentile, ind.threshold))
                for m in negated:
                    for route in m.values:
                        route_objectives.setdefault(route, [])
        error_slos = [
            s.error_budget
            for s in spec.slos
            if isinstance(s.indicator, RatioIndicator) and s.indicator.total.series.startswith(c.HTTP_SERVER_DURATION)
        ]
        rollback = [t.threshold for t in spec.rollback if t.kind == "error_ratio"]
        return cls(
            percentiles=tuple(percentiles),
            max_error_ratio=min(error_slos) * error_scale if error_slos else 1.0,
            rollback_error_ratio=min(rollback) * error_scale if rollback else 1.0,
            max_average_seconds=spec.scaling.average_response_seconds if spec.scaling else math.inf,
            min_requests_per_second=min_requests_per_second,
            route_objectives={k: tuple(v) for k, v in route_objectives.items()},
        )


@dataclass(frozen=True, slots=True)
class Check:
    kind: BreachKind
    subject: str
    value: float | None
    limit: float
    passed: bool


@dataclass(frozen=True, slots=True)
class GateResult:
    checks: tuple[Check, ...]

    @property
    def breaches(self) -> tuple[Check, ...]:
        return tuple(ch for ch in self.checks if not ch.passed)

    @property
    def passed(self) -> bool:
        return not self.breaches

    @property
    def breach_kinds(self) -> tuple[BreachKind, ...]:
        return tuple(dict.fromkeys(ch.kind for ch in self.breaches))


def check_load(endpoints: list[EndpointWindow], seconds: float, limits: GateThresholds) -> GateResult:
    """Check one steady-state window of `seconds` against the thresholds."""
    checks: list[Check] = []
    for ep in endpoints:
        for q, limit in limits.for_endpoint(ep.name):
            value = ep.latencies.percentile(q)
            subject = f"{ep.method} {ep.name} p{q * 100:g}"
            checks.append(Check("latency", subject, value, limit, value is None or value <= limit))
    requests = sum(ep.requests for ep in endpoints)
    failures = sum(ep.failures for ep in endpoints)
    ratio = failures / requests if requests else None
    checks.append(
        Check("errors", "error ratio", ratio, limits.max_error_ratio, (ratio or 0.0) <= limits.max_error_ratio)
    )
    checks.append(
        Check(
            "rollback",
            "error ratio (rollback rule)",
            ratio,
            limits.rollback_error_ratio,
            (ratio or 0.0) <= limits.rollback_error_ratio,
        )
    )
    rps = requests / seconds if seconds > 0 else 0.0
    checks.append(
        Check("throughput", "requests/s", rps, limits.min_requests_per_second, rps >= limits.min_requests_per_second)
    )
    total = sum(ep.latencies.count for ep in endpoints)
    mean = sum((ep.latencies.mean() or 0.0) * ep.latencies.count for ep in endpoints) / total if total else None
    checks.append(
        Check(
            "response_time",
            "average response time",
            mean,
            limits.max_average_seconds,
            (mean or 0.0) <= limits.max_average_seconds,
        )
    )
    return GateResult(tuple(checks))


__all__ = ["Check", "EndpointWindow", "GateResult", "GateThresholds", "Latencies", "check_load", "nearest_rank"]
