"""Thresholds the dashboards draw, looked up in the SLO spec (never typed a second time)."""

from __future__ import annotations

from dashboards.panels import Line
from slo.catalog import counter_series
from slo.errors import SpecError
from slo.model import SLO, LatencyIndicator, RatioIndicator, RollbackTrigger, ScalingPolicy, Spec


def latency_objectives(spec: Spec, metric: str) -> dict[float, SLO]:
    """Percentile -> the SLO that bounds that percentile of `metric`."""
    out: dict[float, SLO] = {}
    for slo in spec.slos:
        ind = slo.indicator
        if isinstance(ind, LatencyIndicator) and ind.metric == metric and ind.percentile is not None:
            out.setdefault(ind.percentile, slo)
    return out


def latency_line(spec: Spec, metric: str, percentile: float) -> list[Line]:
    """The objective's threshold for this percentile of `metric`, if the spec sets one."""
    slo = latency_objectives(spec, metric).get(percentile)
    if slo is None:
        return []
    assert isinstance(slo.indicator, LatencyIndicator)
    return [Line(slo.indicator.threshold, "red")]


def ratio_slo(spec: Spec, metric: str) -> SLO | None:
    """The first error-ratio SLO counting events of `metric`."""
    for slo in spec.slos:
        if isinstance(slo.indicator, RatioIndicator) and slo.indicator.total.series == counter_series(metric):
            return slo
    return None


def error_budget_lines(spec: Spec, metric: str) -> list[Line]:
    """The error budget of the ratio SLO over `metric` (the share of events allowed to fail)."""
    slo = ratio_slo(spec, metric)
    return [Line(slo.error_budget, "orange")] if slo is not None else []


def rollback_triggers(spec: Spec, kind: str) -> list[RollbackTrigger]:
    """Rollback triggers of one kind ("error_ratio" or "latency")."""
    return [t for t in spec.rollback if t.kind == kind]


def rollback_lines(spec: Spec, kind: str) -> list[Line]:
    """Rollback thresholds of one kind, drawn in red."""
    return [Line(t.threshold, "red") for t in rollback_triggers(spec, kind)]


def scaling(spec: Spec) -> ScalingPolicy:
    """The scale-out policy; the capacity dashboard needs one.

    Raises:
        SpecError: the spec has no `scaling` section.
    """
    if spec.scaling is None:
        raise SpecError([f"{spec.source}: scaling: the capacity dashboard needs this section"])
    return spec.scaling
