"""The whole spec: `plan()` lists the queries for a moment, `evaluate()` turns their answers into a Report."""

from __future__ import annotations

from slo.engine.objectives import evaluate_slo, slo_queries
from slo.engine.operations import evaluate_rollback, evaluate_scaling, rollback_queries, scaling_queries
from slo.engine.policy import decide, with_exhaustion
from slo.engine.queries import Observations, Query
from slo.engine.recovery import evaluate_recovery, recovery_queries
from slo.engine.results import Alert, GaugeResult, Report, SignalResult, SLOResult
from slo.engine.spend import evaluate_spend, spend_queries
from slo.model import SLO, GaugeIndicator, Spec


def plan(spec: Spec, now: float) -> list[Query]:
    """Every query the spec needs answered at `now`, without repeats, in a stable order."""
    queries: list[Query] = []
    for slo in spec.slos:
        if isinstance(slo.indicator, GaugeIndicator):
            queries += recovery_queries(slo.indicator)
        else:
            queries += slo_queries(slo, now)
    for trigger in spec.rollback:
        queries += rollback_queries(trigger)
    if spec.scaling is not None:
        queries += scaling_queries(spec.scaling).values()
    if spec.spend is not None:
        queries += spend_queries(spec.spend)
    return list(dict.fromkeys(queries))


def evaluate(spec: Spec, observations: Observations, now: float) -> Report:
    """Evaluate every SLO, recovery objective, rollback trigger, scaling signal and the spend objective at `now`,
    and the budget policy."""
    slos: list[SLOResult] = []
    judged: list[tuple[SLO, SLOResult]] = []
    recovery: list[GaugeResult] = []
    alerts: list[Alert] = []
    for slo in spec.slos:
        if isinstance(slo.indicator, GaugeIndicator):
            g = evaluate_recovery(slo, observations, now)
            recovery.append(g)
            alerts += g.alerts
        else:
            r = evaluate_slo(slo, observations, now)
            if spec.policy is not None:
                r = with_exhaustion(slo, r, spec.policy.exhaustion, now)
                judged.append((slo, r))
            slos.append(r)
            alerts += r.alerts
    rollback: list[SignalResult] = []
    for trigger in spec.rollback:
        signal, alert = evaluate_rollback(trigger, observations)
        rollback.append(signal)
        alerts.append(alert)
    scaling: list[SignalResult] = []
    if spec.scaling is not None:
        scaling, scale_alerts = evaluate_scaling(spec.scaling, observations)
        alerts += scale_alerts
    spend: list[SignalResult] = []
    if spec.spend is not None:
        spend, spend_alerts = evaluate_spend(spec.spend, observations)
        alerts += spend_alerts
    return Report(
        at=now,
        service=spec.service,
        slos=tuple(slos),
        recovery=tuple(recovery),
        rollback=tuple(rollback),
        scaling=tuple(scaling),
        scale_out=any(s.firing for s in scaling),
        alerts=tuple(alerts),
        policy=decide(spec.policy, judged) if spec.policy is not None else None,
        spend=tuple(spend),
    )
