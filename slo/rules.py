"""Prometheus recording and alerting rules generated from the spec (data; the CLI writes them)."""

from __future__ import annotations

from typing import Any

from slo import promql
from slo.durations import format_duration
from slo.engine.spend import spend_queries
from slo.maintenance_rules import maintenance_group
from slo.model import (
    ALERT_WINDOWS,
    BURN_TIERS,
    SLO,
    GaugeIndicator,
    LatencyIndicator,
    RollbackTrigger,
    ScalingPolicy,
    Spec,
)
from slo.policy import Exhaustion
from slo.spend import DAY_SECONDS, SpendObjective
from telemetry import conventions as c

Rule = dict[str, Any]


def _sel(name: str, **labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


def slo_windows(slo: SLO) -> list[tuple[str, str]]:
    """(window label, PromQL range) for the alert windows and the SLO period (calendar windows: nominal)."""
    out = {format_duration(s): format_duration(s) for s in ALERT_WINDOWS}
    out.setdefault(slo.window.label, format_duration(slo.window.seconds))
    return list(out.items())


def _annotations(summary: str, description: str, runbook: str, dashboard: str) -> dict[str, str]:
    return {"summary": summary, "description": description, "runbook_url": runbook, "dashboard_url": dashboard}


def exhaustion_rules(slo: SLO, exhaustion: Exhaustion) -> list[Rule]:
    """Time to exhaustion (budget left x period / burn over the chosen window) and its forecast alert.

    They read the budget and burn recorded just before them in the same group, so one evaluation sees both.
    """
    w = exhaustion.window
    labels = {c.LABEL_SLO: slo.name, c.LABEL_WINDOW: w}
    remaining = _sel(c.RULE_SLO_BUDGET_REMAINING, **{c.LABEL_SLO: slo.name})
    burn = _sel(c.RULE_SLO_BURN_RATE, **labels)
    rules: list[Rule] = [
        {
            "record": c.RULE_SLO_EXHAUSTION,
            # a spent budget gives 0; no burn gives +Inf (or NaN when spent too), which never alerts
            "expr": f"{slo.window.seconds} * clamp_min({remaining}, 0) / ignoring({c.LABEL_WINDOW}) {burn}",
            "labels": labels,
        }
    ]
    if exhaustion.tier in slo.tiers:
        horizon = format_duration(exhaustion.horizon_seconds)
        rules.append(
            {
                "alert": c.ALERT_EXHAUSTION,
                "expr": (
                    f"{_sel(c.RULE_SLO_EXHAUSTION, **labels)} < {exhaustion.horizon_seconds}"
                    f" and {_sel(c.RULE_SLO_EVENTS, **labels)} >= {slo.min_events}"
                ),
                "labels": {c.LABEL_SEVERITY: exhaustion.tier, c.LABEL_SLO: slo.name},
                "annotations": _annotations(
                    f"{slo.name}: error budget spent within {horizon} at the current burn",
                    f"{slo.description} At the burn rate of the last {w}, the {slo.window.label} error budget "
                    f"({slo.error_budget:.4%} of events) is gone in less than {horizon}.",
                    exhaustion.runbook_for(slo.name),
                    slo.dashboard_url,
                ),
            }
        )
    return rules


def slo_group(slo: SLO, exhaustion: Exhaustion | None = None) -> dict[str, Any]:
    """Recording rules per window, the four burn-rate alerts and the exhaustion forecast of one event SLO."""
    rules: list[Rule] = []
    for label, window in slo_windows(slo):
        base = {c.LABEL_SLO: slo.name, c.LABEL_WINDOW: label}
        rules.append({"record": c.RULE_SLO_EVENTS, "expr": promql.events(slo, window), "labels": base})
        ratio = (
            promql.error_ratio_excluding(slo, window, slo.window.seconds)
            if slo.excluded and label == slo.window.label
            else promql.error_ratio(slo, window)
        )
        rules.append({"record": c.RULE_SLO_ERROR_RATIO, "expr": ratio, "labels": base})
        rules.append(
            {
                "record": c.RULE_SLO_BURN_RATE,
                "expr": f"{_sel(c.RULE_SLO_ERROR_RATIO, **base)} / {slo.error_budget:.6g}",
                "labels": base,
            }
        )
        ind = slo.indicator
        if isinstance(ind, LatencyIndicator) and ind.percentile is not None:
            rules.append(
                {
                    "record": c.RULE_SLO_LATENCY,
                    "expr": promql.latency_quantile(ind.percentile, ind.buckets, window),
                    "labels": {**base, c.LABEL_QUANTILE: f"{ind.percentile:g}"},
                }
            )
    rules.append(
        {"record": c.RULE_SLO_OBJECTIVE, "expr": f"vector({slo.objective:g})", "labels": {c.LABEL_SLO: slo.name}}
    )
    period = {c.LABEL_SLO: slo.name, c.LABEL_WINDOW: slo.window.label}
    rules.append(
        {
            "record": c.RULE_SLO_BUDGET_REMAINING,
            "expr": f"1 - {_sel(c.RULE_SLO_ERROR_RATIO, **period)} / {slo.error_budget:.6g}",
            "labels": {c.LABEL_SLO: slo.name},
        }
    )
    if exhaustion is not None:
        rules += exhaustion_rules(slo, exhaustion)
    for bt in BURN_TIERS:
        if bt.tier not in slo.tiers:
            continue
        long_w, short_w = format_duration(bt.long_seconds), format_duration(bt.short_seconds)
        burn_long = _sel(c.RULE_SLO_BURN_RATE, **{c.LABEL_SLO: slo.name, c.LABEL_WINDOW: long_w})
        burn_short = _sel(c.RULE_SLO_BURN_RATE, **{c.LABEL_SLO: slo.name, c.LABEL_WINDOW: short_w})
        events_long = _sel(c.RULE_SLO_EVENTS, **{c.LABEL_SLO: slo.name, c.LABEL_WINDOW: long_w})
        expr = (
            f"{burn_long} > {bt.factor:g}"
            f" and ignoring({c.LABEL_WINDOW}) {burn_short} > {bt.factor:g}"
            f" and ignoring({c.LABEL_WINDOW}) {events_long} >= {slo.min_events}"
        )
        rules.append(
            {
                "alert": c.ALERT_BURN_RATE,
                "expr": expr,
                "labels": {c.LABEL_SEVERITY: bt.tier, c.LABEL_SLO: slo.name},
                "annotations": _annotations(
                    f"{slo.name}: error budget burning {bt.factor:g}x too fast ({bt.tier})",
                    f"{slo.description} Burn rate above {bt.factor:g}x over both {long_w} and {short_w}; "
                    f"at this pace the {slo.window.label} error budget of {slo.error_budget:.4%} runs out early.",
                    slo.runbook_url,
                    slo.dashboard_url,
                ),
            }
        )
    return {"name": f"slo-{slo.name}", "rules": rules}


def recovery_group(slos: list[SLO]) -> dict[str, Any]:
    """The measured RTO/RPO figures, their per-tier objectives, staleness and failed drills."""
    rules: list[Rule] = []
    for slo in slos:
        ind = slo.indicator
        assert isinstance(ind, GaugeIndicator)
        recorded = _sel(c.RULE_SLO_GAUGE, **{c.LABEL_SLO: slo.name})
        rules.append({"record": c.RULE_SLO_GAUGE, "expr": promql.gauge_value(ind), "labels": {c.LABEL_SLO: slo.name}})
        for tier, limit in ind.thresholds:
            expr = f"{recorded} > {limit:g}"
            if ind.age:
                expr += f" or absent({ind.value.promql()})"  # never backed up: as stale as it gets
            rules.append(
                {
                    "alert": c.ALERT_RECOVERY_OBJECTIVE,
                    "expr": expr,
                    "labels": {c.LABEL_SEVERITY: tier, c.LABEL_SLO: slo.name},
                    "annotations": _annotations(
                        f"{slo.name}: above the {tier} objective of {format_duration(int(limit))}",
                        slo.description,
                        slo.runbook_url,
                        slo.dashboard_url,
                    ),
                }
            )
        if ind.freshness is not None and ind.max_age is not None:
            fresh = ind.freshness.promql()
            rules.append(
                {
                    "alert": c.ALERT_RECOVERY_STALE,
                    "expr": f"time() - max({fresh}) > {ind.max_age:g} or absent({fresh})",
                    "labels": {c.LABEL_SEVERITY: ind.stale_tier, c.LABEL_SLO: slo.name},
                    "annotations": _annotations(
                        f"{slo.name}: not measured in the last {format_duration(int(ind.max_age))}",
                        f"{ind.freshness.series} is older than {format_duration(int(ind.max_age))} or missing.",
                        slo.runbook_url,
                        slo.dashboard_url,
                    ),
                }
            )
        if ind.success is not None:
            rules.append(
                {
                    "alert": c.ALERT_RECOVERY_FAILED,
                    "expr": f"max({ind.success.promql()}) < 1",
                    "labels": {c.LABEL_SEVERITY: ind.stale_tier, c.LABEL_SLO: slo.name},
                    "annotations": _annotations(
                        f"{slo.name}: the last restore drill failed",
                        f"{ind.success.series} is 0: the newest backup did not restore and verify.",
                        slo.runbook_url,
                        slo.dashboard_url,
                    ),
                }
            )
    return {"name": "slo-recovery", "rules": rules}


def rollback_group(triggers: tuple[RollbackTrigger, ...]) -> dict[str, Any]:
    """Rollback triggers: the value over the trigger's whole window, with the low-traffic guard."""
    rules: list[Rule] = []
    for t in triggers:
        w = format_duration(t.window_seconds)
        guard = f"sum(increase({t.total.promql()}[{w}])) >= {t.min_events}"
        expr = f"({promql.rollback_value(t, w)}) > {t.threshold:g} and {guard}"
        rules.append(
            {
                "alert": c.ALERT_ROLLBACK,
                "expr": expr,
                "labels": {c.LABEL_SEVERITY: "critical", c.LABEL_SLO: t.name},
                "annotations": _annotations(
                    f"{t.name}: roll back the last deployment", t.description, t.runbook_url, t.dashboard_url
                ),
            }
        )
    return {"name": "rollback", "rules": rules}


def scaling_group(policy: ScalingPolicy) -> dict[str, Any]:
    """Per-instance utilisation against each scale-out threshold (1 means at the threshold)."""
    w, i = format_duration(policy.window_seconds), c.LABEL_INSTANCE
    count = f"{c.HTTP_SERVER_DURATION}_count"
    values = {
        "cpu": (f"sum by ({i})(rate({c.PROCESS_CPU}[{w}])) / {policy.cpu_cores:g}", policy.cpu_ratio),
        "memory": (
            f"max by ({i})({c.PROCESS_RESIDENT_MEMORY}) / max by ({i})({c.PROCESS_MEMORY_LIMIT})",
            policy.memory_ratio,
        ),
        "request_rate": (f"sum by ({i})(rate({count}[{w}]))", policy.requests_per_second),
        "response_time": (
            f"sum by ({i})(rate({c.HTTP_SERVER_DURATION}_sum[{w}])) / sum by ({i})(rate({count}[{w}]))",
            policy.average_response_seconds,
        ),
    }
    rules: list[Rule] = []
    for signal, (expr, limit) in values.items():
        rules.append(
            {"record": c.RULE_SCALING_UTILISATION, "expr": f"({expr}) / {limit:g}", "labels": {c.LABEL_SIGNAL: signal}}
        )
    for signal, (_, limit) in values.items():
        rules.append(
            {
                "alert": c.ALERT_SCALE_OUT,
                "expr": f"{_sel(c.RULE_SCALING_UTILISATION, **{c.LABEL_SIGNAL: signal})} >= 1",
                "labels": {c.LABEL_SEVERITY: "medium", c.LABEL_SLO: f"scaling-{signal}"},
                "annotations": _annotations(
                    f"{{{{ $labels.{i} }}}}: {signal} at its scale-out threshold ({limit:g})",
                    f"Scale out: {signal} reached {limit:g} over {w} on this instance.",
                    policy.runbook_url,
                    policy.dashboard_url,
                ),
            }
        )
    return {"name": "scaling", "rules": rules}


def spend_group(spend: SpendObjective) -> dict[str, Any]:
    """Model spend over the day and the pace window (recorded), the over-budget alert and the pace alert."""
    # the very queries the engine asks Prometheus, so the two read the same spend
    rules: list[Rule] = [
        {
            "record": c.RULE_LLM_SPEND,
            "expr": promql.for_query(q),
            "labels": {c.LABEL_WINDOW: format_duration(int(q.seconds))},
        }
        for q in spend_queries(spend)
    ]
    day = _sel(c.RULE_LLM_SPEND, **{c.LABEL_WINDOW: format_duration(DAY_SECONDS)})
    rules.append(
        {
            "alert": c.ALERT_SPEND_OVER_BUDGET,
            "expr": f"{day} > {spend.daily_budget:g}",
            "labels": {c.LABEL_SEVERITY: spend.tier, c.LABEL_SLO: spend.name},
            "annotations": _annotations(
                f"{spend.name}: model calls cost more than ${spend.daily_budget:g} over the last day",
                f"{spend.description} The last 24 hours of model calls, at list price, cost more than the "
                f"${spend.daily_budget:g} daily budget.",
                spend.runbook_url,
                spend.dashboard_url,
            ),
        }
    )
    pace = spend.pace
    if pace is not None:
        w = format_duration(pace.window_seconds)
        recent = _sel(c.RULE_LLM_SPEND, **{c.LABEL_WINDOW: w})
        limit = spend.daily_budget * pace.factor
        rules.append(
            {
                "alert": c.ALERT_SPEND_PACE,
                "expr": f"{recent} * {pace.per_day:g} > {limit:g}",
                "labels": {c.LABEL_SEVERITY: pace.tier, c.LABEL_SLO: spend.name},
                "annotations": _annotations(
                    f"{spend.name}: spending {pace.factor:g}x the daily budget's pace",
                    f"{spend.description} The last {w} of model calls, kept up for a day, would cost more than "
                    f"${limit:g} ({pace.factor:g}x the ${spend.daily_budget:g} budget): a loop, abuse or a price "
                    "change.",
                    pace.runbook_url,
                    spend.dashboard_url,
                ),
            }
        )
    return {"name": "spend", "rules": rules}


def rule_files(spec: Spec) -> dict[str, dict[str, Any]]:
    """File name -> Prometheus rule file content, for everything the spec defines."""
    events = [s for s in spec.slos if not isinstance(s.indicator, GaugeIndicator)]
    gauges = [s for s in spec.slos if isinstance(s.indicator, GaugeIndicator)]
    exhaustion = spec.policy.exhaustion if spec.policy is not None else None
    files: dict[str, dict[str, Any]] = {"slo.rules.yaml": {"groups": [slo_group(s, exhaustion) for s in events]}}
    if gauges:
        files["recovery.rules.yaml"] = {"groups": [recovery_group(gauges)]}
    operations = []
    if spec.rollback:
        operations.append(rollback_group(spec.rollback))
    if spec.scaling is not None:
        operations.append(scaling_group(spec.scaling))
    if operations:
        files["operations.rules.yaml"] = {"groups": operations}
    files["maintenance.rules.yaml"] = {"groups": [maintenance_group(spec.maintenance)]}
    if spec.spend is not None:
        files["spend.rules.yaml"] = {"groups": [spend_group(spec.spend)]}
    return files
