"""PromQL for the engine's queries and for the SLO rules. One place, so rules and the engine mean the same."""

from __future__ import annotations

from slo.durations import format_duration
from slo.engine.queries import Query
from slo.model import SLO, GaugeIndicator, LatencyIndicator, RatioIndicator, RollbackTrigger, Selector


def range_of(seconds: float) -> str:
    """A PromQL range for a window; whole seconds, written the short way when it divides evenly."""
    return format_duration(max(round(seconds), 1))


def for_query(q: Query) -> str:
    """The instant query that answers one engine query."""
    by = f" by ({q.by})" if q.by else ""
    if q.kind == "gauge":
        return f"max{by}({q.selector.promql()})"
    at = f" @ {q.end:.0f}" if q.end is not None else ""
    return f"sum{by}(increase({q.selector.promql()}[{range_of(q.seconds)}]{at}))"


def rate(selector: Selector, window: str) -> str:
    return f"sum(rate({selector.promql()}[{window}]))"


def error_ratio(slo: SLO, window: str) -> str:
    """bad / total over the window; a window without bad series counts zero bad events, not "no data"."""
    ind = slo.indicator
    if isinstance(ind, RatioIndicator):
        events, total = ind.events, ind.total
        counts_bad = not ind.good
    else:
        assert isinstance(ind, LatencyIndicator)
        events, total, counts_bad = ind.good_bucket, ind.total, False
    share = f"({rate(events, window)} or vector(0)) / {rate(total, window)}"
    return share if counts_bad else f"1 - ({share})"


def error_ratio_excluding(slo: SLO, window: str, seconds: float) -> str:
    """bad / total over the SLO period minus the maintenance windows wholly inside it (`slo.excluded`).

    Each window's events are an `increase(...[duration] @ end)`, counted only while `time()` puts the whole window
    in the period, as the engine's `excluded_windows` does.
    """
    ind = slo.indicator
    if isinstance(ind, RatioIndicator):
        events, total, counts_bad = ind.events, ind.total, not ind.good
    else:
        assert isinstance(ind, LatencyIndicator)
        events, total, counts_bad = ind.good_bucket, ind.total, False

    def net(selector: Selector) -> str:
        terms = [f"(sum(increase({selector.promql()}[{window}])) or vector(0))"]
        for start, end in slo.excluded:
            piece = f"sum(increase({selector.promql()}[{range_of(end - start)}] @ {end:.0f}))"
            inside = f"vector(time()) >= {end:.0f} and on() vector(time()) <= {start + seconds:.0f}"
            terms.append(f"((({piece}) and on() {inside}) or vector(0))")
        return "(\n  " + "\n  - ".join(terms) + "\n)"

    share = f"{net(events)}\n/\n{net(total)}"
    return share if counts_bad else f"1 - (\n{share}\n)"


def events(slo: SLO, window: str) -> str:
    """All events of the SLO in the window."""
    ind = slo.indicator
    assert isinstance(ind, RatioIndicator | LatencyIndicator)
    return f"sum(increase({ind.total.promql()}[{window}]))"


def latency_quantile(q: float, buckets: Selector, window: str) -> str:
    return f"histogram_quantile({q:g}, sum by (le)(rate({buckets.promql()}[{window}])))"


def gauge_value(ind: GaugeIndicator) -> str:
    """The recovery figure: the gauge itself, or the age of a timestamp gauge."""
    value = f"max({ind.value.promql()})"
    return f"time() - {value}" if ind.age else value


def rollback_value(trigger: RollbackTrigger, window: str) -> str:
    """What a rollback trigger compares with its threshold: error ratio, percentile or average response time."""
    if trigger.bad is not None:
        return f"({rate(trigger.bad, window)} or vector(0)) / {rate(trigger.total, window)}"
    if trigger.percentile is not None:
        return latency_quantile(trigger.percentile, trigger.total.renamed(f"{trigger.metric}_bucket"), window)
    return f"{rate(trigger.total.renamed(f'{trigger.metric}_sum'), window)} / {rate(trigger.total, window)}"
