"""The daily model-spend objective: the last day's spend against the budget, and the pace of a shorter window."""

from __future__ import annotations

from slo.durations import format_duration
from slo.engine.queries import Observations, Query, total
from slo.engine.results import Alert, SignalResult
from slo.spend import DAY_SECONDS, SpendObjective
from telemetry import conventions as c


def spend_queries(spend: SpendObjective) -> list[Query]:
    """The cost counter's increase over the day, and over the pace window."""
    out = [Query("increase", spend.cost, DAY_SECONDS)]
    if spend.pace is not None:
        out.append(Query("increase", spend.cost, spend.pace.window_seconds))
    return out


def evaluate_spend(spend: SpendObjective, observations: Observations) -> tuple[list[SignalResult], list[Alert]]:
    """Spend over the last day against the budget and, with a pace, the pace window's spend scaled to a day
    against `factor` x the budget (the generated rules compare the same products)."""
    queries = spend_queries(spend)
    day = total(observations, queries[0])
    over = day > spend.daily_budget
    signals = [SignalResult(f"{spend.name}-1d", day, spend.daily_budget, over)]
    alerts = [
        Alert(
            c.ALERT_SPEND_OVER_BUDGET,
            spend.name,
            spend.tier,
            "spend",
            over,
            f"${day:.4g} spent on model calls over the last day; the budget is ${spend.daily_budget:g}",
            ((c.LABEL_WINDOW, format_duration(DAY_SECONDS)),),  # the recorded spend's label, as Prometheus keeps it
        )
    ]
    pace = spend.pace
    if pace is not None:
        window = format_duration(pace.window_seconds)
        as_day = total(observations, queries[1]) * pace.per_day
        limit = spend.daily_budget * pace.factor
        fast = as_day > limit
        signals.append(SignalResult(f"{spend.name}-pace-{window}", as_day, limit, fast))
        alerts.append(
            Alert(
                c.ALERT_SPEND_PACE,
                spend.name,
                pace.tier,
                "spend",
                fast,
                f"the last {window} of model calls, at a day's length, costs ${as_day:.4g}; "
                f"{pace.factor:g}x the daily budget is ${limit:g}",
                ((c.LABEL_WINDOW, window),),
            )
        )
    return signals, alerts
