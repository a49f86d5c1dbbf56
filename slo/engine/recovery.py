"""Recovery objectives (RTO, RPO, backup age): thresholds per tier, staleness and failed drills."""

from __future__ import annotations

from typing import Literal

from slo.durations import format_duration
from slo.engine.queries import Observations, Query, largest
from slo.engine.results import Alert, GaugeResult
from slo.model import SLO, GaugeIndicator
from telemetry import conventions as c


def recovery_queries(ind: GaugeIndicator) -> list[Query]:
    """The gauges one recovery objective reads."""
    out = [Query("gauge", ind.value)]
    out += [Query("gauge", s) for s in (ind.freshness, ind.success) if s is not None]
    return out


def _human(seconds: float) -> str:
    whole = round(seconds)
    return format_duration(whole) if whole > 0 else f"{seconds:.0f}s"


def evaluate_recovery(slo: SLO, observations: Observations, now: float) -> GaugeResult:
    """Evaluate one gauge objective at `now`; a missing timestamp counts as infinitely old."""
    ind = slo.indicator
    assert isinstance(ind, GaugeIndicator)
    raw = largest(observations, Query("gauge", ind.value))
    value = (now - raw if raw is not None else None) if ind.age else raw
    alerts: list[Alert] = []
    for tier, limit in ind.thresholds:
        if value is None:
            firing = ind.age  # no backup at all: as old as it gets
            detail = f"no {ind.value.series} recorded" + ("" if ind.age else "; nothing to compare")
        else:
            firing = value > limit
            detail = f"{_human(value)} against at most {_human(limit)}"
        alerts.append(Alert(c.ALERT_RECOVERY_OBJECTIVE, slo.name, tier, "objective", firing, detail))
    evidence_age = None
    if ind.freshness is not None and ind.max_age is not None:
        last = largest(observations, Query("gauge", ind.freshness))
        evidence_age = None if last is None else now - last
        stale = evidence_age is None or evidence_age > ind.max_age
        detail = (
            f"no {ind.freshness.series} recorded"
            if evidence_age is None
            else f"last measured {_human(evidence_age)} ago; at most {_human(ind.max_age)} allowed"
        )
        alerts.append(Alert(c.ALERT_RECOVERY_STALE, slo.name, ind.stale_tier, "stale", stale, detail))
    failed = False
    status: Literal["ok", "breached", "stale", "failed", "no_data"]
    if ind.success is not None:
        ok = largest(observations, Query("gauge", ind.success))
        failed = ok is not None and ok < 1
        detail = "the last drill failed" if failed else "the last drill passed" if ok is not None else "no drill yet"
        alerts.append(Alert(c.ALERT_RECOVERY_FAILED, slo.name, ind.stale_tier, "failed", failed, detail))
    if failed:
        status = "failed"
    elif any(a.firing and a.kind == "objective" for a in alerts):
        status = "breached"
    elif any(a.firing and a.kind == "stale" for a in alerts):
        status = "stale"
    elif value is None:
        status = "no_data"
    else:
        status = "ok"
    return GaugeResult(slo.name, status, value, evidence_age, ind.thresholds, tuple(alerts))
