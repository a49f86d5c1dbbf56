"""Event-based SLOs (ratio and latency): SLI, error budget and multi-window multi-burn-rate alerts."""

from __future__ import annotations

import dataclasses
from typing import Literal

from slo.durations import format_duration
from slo.engine.histogram import quantile
from slo.engine.queries import Observations, Query, total
from slo.engine.results import Alert, SLOResult, WindowResult
from slo.model import ALERT_WINDOWS, BURN_TIERS, SLO, LatencyIndicator, RatioIndicator
from telemetry import conventions as c


def windows(slo: SLO, now: float) -> list[tuple[str, float]]:
    """(label, seconds) of the alert windows and of the SLO period, shortest first."""
    return [(format_duration(s), float(s)) for s in ALERT_WINDOWS] + [(slo.window.label, slo.window.length_at(now))]


def _queries(slo: SLO, seconds: float) -> tuple[Query, Query, Query | None]:
    """(total, events, buckets): events are bad ones, or good ones for `good` ratios and latency."""
    ind = slo.indicator
    if isinstance(ind, RatioIndicator):
        return Query("increase", ind.total, seconds), Query("increase", ind.events, seconds), None
    assert isinstance(ind, LatencyIndicator)
    buckets = Query("increase", ind.buckets, seconds, by=c.LABEL_LE) if ind.percentile is not None else None
    return Query("increase", ind.total, seconds), Query("increase", ind.good_bucket, seconds), buckets


def _counts_bad(slo: SLO) -> bool:
    return isinstance(slo.indicator, RatioIndicator) and not slo.indicator.good


def excluded_windows(slo: SLO, now: float, seconds: float) -> list[tuple[float, float]]:
    """The maintenance windows left out of a period of `seconds` ending at `now`: those wholly inside it.

    A window still open counts as usual until it ends (the rules cannot know its events yet), and one reaching past
    the period's start counts again, as Prometheus's fixed-length ranges would have it.
    """
    return [(start, end) for start, end in slo.excluded if start >= now - seconds and end <= now]


def _excluded_queries(slo: SLO, now: float, seconds: float) -> list[tuple[Query, Query]]:
    out = []
    for start, end in excluded_windows(slo, now, seconds):
        total_q, events_q, _ = _queries(slo, end - start)
        out.append((dataclasses.replace(total_q, end=end), dataclasses.replace(events_q, end=end)))
    return out


def slo_queries(slo: SLO, now: float) -> list[Query]:
    """Every query an event-based SLO needs at `now`."""
    out: list[Query] = []
    for _, seconds in windows(slo, now):
        out.extend(q for q in _queries(slo, seconds) if q is not None)
    for pair in _excluded_queries(slo, now, slo.window.length_at(now)):
        out.extend(pair)
    return out


def window_result(
    slo: SLO, observations: Observations, label: str, seconds: float, *, now: float | None = None
) -> WindowResult:
    """Bad over total events for one window: a sum over the window, never an average of shorter ratios.

    With `now` (the SLO period), the maintenance windows the SLO excludes are taken out of both sums.
    """
    total_q, events_q, buckets_q = _queries(slo, seconds)
    events_total = total(observations, total_q)
    counted = total(observations, events_q)
    if now is not None:
        for excluded_total, excluded_events in _excluded_queries(slo, now, seconds):
            events_total = max(events_total - total(observations, excluded_total), 0.0)
            counted = max(counted - total(observations, excluded_events), 0.0)
    bad = counted if _counts_bad(slo) else max(events_total - counted, 0.0)
    ratio = min(bad / events_total, 1.0) if events_total > 0 else None
    burn = ratio / slo.error_budget if ratio is not None else None
    percentile = None
    if buckets_q is not None and isinstance(slo.indicator, LatencyIndicator) and slo.indicator.percentile:
        percentile = quantile(slo.indicator.percentile, observations.get(buckets_q, {}))
    return WindowResult(label, seconds, events_total, bad, ratio, burn, percentile)


def evaluate_slo(slo: SLO, observations: Observations, now: float) -> SLOResult:
    """Evaluate one ratio or latency SLO from its observations."""
    spans = windows(slo, now)
    results = [window_result(slo, observations, label, seconds) for label, seconds in spans[:-1]]
    results.append(window_result(slo, observations, *spans[-1], now=now))
    by_seconds = {w.seconds: w for w in results[:-1]}
    period = results[-1]
    alerts = []
    status: Literal["ok", "breached", "low_traffic", "no_data"]
    for bt in BURN_TIERS:
        if bt.tier not in slo.tiers:
            continue
        long, short = by_seconds[bt.long_seconds], by_seconds[bt.short_seconds]
        enough = long.total >= slo.min_events
        burning = (long.burn_rate or 0.0) > bt.factor and (short.burn_rate or 0.0) > bt.factor
        detail = (
            f"burn {_x(long.burn_rate)} over {long.window} and {_x(short.burn_rate)} over {short.window}"
            f" (fires above {bt.factor:g}x)"
        )
        if not enough:
            detail += f"; only {long.total:g} events in {long.window}, fewer than {slo.min_events}: not alerting"
        alerts.append(
            Alert(
                c.ALERT_BURN_RATE,
                slo.name,
                bt.tier,
                "burn_rate",
                enough and burning,
                detail,
                ((c.LABEL_WINDOW, long.window),),
            )
        )
    if period.total <= 0:
        status = "no_data"
    elif period.total < slo.min_events:
        status = "low_traffic"
    elif period.error_ratio is not None and period.error_ratio > slo.error_budget:
        status = "breached"
    else:
        status = "ok"
    ind = slo.indicator
    return SLOResult(
        slo=slo.name,
        kind="latency_percentile"
        if isinstance(ind, LatencyIndicator) and ind.percentile
        else ("latency_threshold" if isinstance(ind, LatencyIndicator) else "ratio"),
        objective=slo.objective,
        window=slo.window.label,
        status=status,
        sli=None if period.error_ratio is None else 1.0 - period.error_ratio,
        error_budget_remaining=None if period.error_ratio is None else 1.0 - period.error_ratio / slo.error_budget,
        windows=tuple(results),
        alerts=tuple(alerts),
        threshold=ind.threshold if isinstance(ind, LatencyIndicator) else None,
        percentile=period.percentile,
    )


def _x(burn: float | None) -> str:
    return "n/a" if burn is None else f"{burn:.2f}x"
