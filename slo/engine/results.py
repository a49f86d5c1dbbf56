"""Evaluations as data: frozen, JSON-serialisable with `to_dict()`, printable with slo.report."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

from slo.model import TIER_RANK, Tier
from slo.policy import Action

AlertKind = Literal["burn_rate", "objective", "stale", "failed", "rollback", "scale_out", "exhaustion", "spend"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert condition and whether it holds now. `name` is the Prometheus alert name."""

    name: str
    slo: str
    tier: Tier
    kind: AlertKind
    firing: bool
    detail: str
    labels: tuple[tuple[str, str], ...] = ()  # further labels the Prometheus alert carries (window, instance)


@dataclass(frozen=True, slots=True)
class WindowResult:
    """Events in one window ending now. Ratios are None when the window saw no events."""

    window: str
    seconds: float
    total: float
    bad: float
    error_ratio: float | None
    burn_rate: float | None
    percentile: float | None = None  # latency percentile SLOs: the percentile's value, seconds


@dataclass(frozen=True, slots=True)
class SLOResult:
    """An SLO over its period: SLI, error budget left, burn rate per window, alert tiers."""

    slo: str
    kind: str
    objective: float
    window: str
    status: Literal["ok", "breached", "low_traffic", "no_data"]
    sli: float | None
    error_budget_remaining: float | None
    windows: tuple[WindowResult, ...]
    alerts: tuple[Alert, ...]
    threshold: float | None = None  # latency SLOs: seconds
    percentile: float | None = None  # latency percentile SLOs: the percentile's value over the period
    # seconds until the budget is spent at the burn rate of the policy's exhaustion window (0: already spent);
    # None without a policy, without events in that window, or while nothing burns
    time_to_exhaustion: float | None = None

    def window_result(self, label: str) -> WindowResult:
        return next(w for w in self.windows if w.window == label)


@dataclass(frozen=True, slots=True)
class GaugeResult:
    """A recovery objective: the measured figure against each tier's limit, and how fresh the evidence is."""

    slo: str
    status: Literal["ok", "breached", "stale", "failed", "no_data"]
    value: float | None
    age_of_evidence: float | None
    thresholds: tuple[tuple[Tier, float], ...]
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class SignalResult:
    """A rollback trigger or a scaling signal: a measured value against its threshold."""

    name: str
    value: float | None
    threshold: float
    firing: bool
    instance: str = ""
    events: float | None = None


@dataclass(frozen=True, slots=True)
class SLODecision:
    """What the budget policy says about one SLO: the first step that holds, or none."""

    slo: str
    action: Action
    step: str | None
    reason: str
    why: str  # the figures that made the step hold (or why none did)


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """The budget policy's decision: the most severe action over every SLO, and which SLO and step set it."""

    action: Action
    slo: str | None
    step: str | None
    reason: str
    why: str
    slos: tuple[SLODecision, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything evaluated at one moment."""

    at: float
    service: str
    slos: tuple[SLOResult, ...]
    recovery: tuple[GaugeResult, ...]
    rollback: tuple[SignalResult, ...]
    scaling: tuple[SignalResult, ...]
    scale_out: bool
    alerts: tuple[Alert, ...]
    policy: PolicyDecision | None = None  # None when the spec has no `policy:` section
    spend: tuple[SignalResult, ...] = ()  # the daily spend and its pace, when the spec has a `spend:` section

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.firing)

    @property
    def worst_tier(self) -> Tier | None:
        """The most severe tier among firing alerts."""
        tiers = sorted((a.tier for a in self.firing), key=lambda t: -TIER_RANK[t])
        return tiers[0] if tiers else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (infinities and NaN become None)."""
        data = _clean(dataclasses.asdict(self))
        assert isinstance(data, dict)
        data["worst_tier"] = self.worst_tier
        data["firing"] = [a["name"] + ":" + a["slo"] + ":" + a["tier"] for a in data["alerts"] if a["firing"]]
        return data


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
