"""The error budget policy and the exhaustion forecast, evaluated from SLO results. Pure: no I/O here."""

from __future__ import annotations

import dataclasses

from slo.engine.results import Alert, PolicyDecision, SLODecision, SLOResult, WindowResult
from slo.model import SLO
from slo.policy import ACTION_RANK, BudgetPolicy, Condition, Exhaustion
from telemetry import conventions as c


def time_to_exhaustion(remaining: float | None, burn_rate: float | None, period_seconds: float) -> float | None:
    """Seconds until the budget is spent if the burn rate holds: budget left x period / burn rate.

    A burn rate of 1 spends a whole budget in one period. A spent budget gives 0; no burn (or no events) gives
    None, which Prometheus shows as +Inf or NaN.
    """
    if remaining is None or burn_rate is None or burn_rate <= 0:
        return None
    return max(remaining, 0.0) * period_seconds / burn_rate


def _days(seconds: float) -> str:
    return f"{seconds / 3600:.1f}h" if seconds < 2 * 86400 else f"{seconds / 86400:.1f}d"


def with_exhaustion(slo: SLO, result: SLOResult, exhaustion: Exhaustion, now: float) -> SLOResult:
    """The result with its time to exhaustion and, when the SLO alerts at that tier, the forecast alert."""
    window = result.window_result(exhaustion.window)
    tte = time_to_exhaustion(result.error_budget_remaining, window.burn_rate, slo.window.nominal_seconds(now))
    alerts = result.alerts
    if exhaustion.tier in slo.tiers:
        enough = window.total >= slo.min_events
        firing = enough and tte is not None and tte < exhaustion.horizon_seconds
        shown = "never at this pace" if tte is None else f"in {_days(tte)}"
        detail = (
            f"budget spent {shown} at the burn over {window.window}; alerts under {_days(exhaustion.horizon_seconds)}"
        )
        if not enough:
            detail += f"; only {window.total:g} events in {window.window}, fewer than {slo.min_events}: not alerting"
        alert = Alert(
            c.ALERT_EXHAUSTION,
            slo.name,
            exhaustion.tier,
            "exhaustion",
            firing,
            detail,
            ((c.LABEL_WINDOW, window.window),),
        )
        alerts = (*alerts, alert)
    return dataclasses.replace(result, time_to_exhaustion=tte, alerts=alerts)


def _holds(condition: Condition, slo: SLO, result: SLOResult) -> tuple[bool, str]:
    """Whether a condition holds, and the figures behind it. Windows with fewer than minEvents never hold."""
    why = []
    if condition.budget_remaining_at_most is not None:
        period = result.windows[-1]
        left = result.error_budget_remaining
        if left is None or period.total < slo.min_events:
            return False, f"only {period.total:g} events over {period.window}, fewer than {slo.min_events}"
        if left > condition.budget_remaining_at_most:
            return False, ""
        why.append(f"budget left {left:.1%} (at most {condition.budget_remaining_at_most:.0%})")
    if condition.burn_rate_above is not None:
        assert condition.window is not None  # the schema pairs the two
        w: WindowResult = result.window_result(condition.window)
        if w.burn_rate is None or w.total < slo.min_events:
            return False, f"only {w.total:g} events over {w.window}, fewer than {slo.min_events}"
        if w.burn_rate <= condition.burn_rate_above:
            return False, ""
        why.append(f"burn {w.burn_rate:.2f}x over {w.window} (above {condition.burn_rate_above:g}x)")
    return True, " and ".join(why)


def decide_slo(policy: BudgetPolicy, slo: SLO, result: SLOResult) -> SLODecision:
    """The first step whose condition holds for this SLO, or `none`."""
    notes = []
    for step in policy.steps:
        holds, why = _holds(step.condition, slo, result)
        if holds:
            return SLODecision(slo.name, step.action, step.name, step.reason, why)
        if why:
            notes.append(why)
    why = "no step holds" + (f" ({notes[0]})" if notes else "")
    return SLODecision(slo.name, "none", None, "", why)


def decide(policy: BudgetPolicy, slos: list[tuple[SLO, SLOResult]]) -> PolicyDecision:
    """The most severe action over every SLO; between equals the earlier step, then the SLO listed first."""
    decisions = tuple(decide_slo(policy, slo, result) for slo, result in slos)
    order = {step.name: i for i, step in enumerate(policy.steps)}
    acting = [d for d in decisions if d.action != "none"]
    if not acting:
        return PolicyDecision(
            "none", None, None, "No step of the budget policy holds: deploys go ahead.", "", decisions
        )
    worst = min(acting, key=lambda d: (-ACTION_RANK[d.action], order[d.step or ""]))
    return PolicyDecision(worst.action, worst.slo, worst.step, worst.reason, worst.why, decisions)
