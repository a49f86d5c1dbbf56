"""The engine's queries and the alerts Prometheus held, fetched over a range with `/api/v1/query_range`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from slo import promql
from slo.engine.queries import Query
from slo.report_model import AlertSamples, RangeAnswers, Span
from slo.sources.prometheus import PrometheusSource

PARALLEL = 4  # range queries in flight at once: a weekly report should not queue behind itself, nor flood Prometheus
ALERTS = "ALERTS"  # Prometheus' own series: 1 per pending or firing alert, labelled alertstate
ALERTS_FOR_STATE = "ALERTS_FOR_STATE"  # the value is the alert's activeAt (Unix seconds)
ALERTSTATE = "alertstate"


def _key(at: float) -> float:
    return round(at, 3)


def fetch_answers(source: PrometheusSource, queries: Sequence[Query], span: Span) -> RangeAnswers:
    """Each engine query evaluated at every step of the span, as the instant queries of `slo evaluate` are.

    Raises:
        SourceError: when Prometheus cannot be reached or refuses a query.
    """
    start = span.times[0]

    def one(q: Query) -> dict[float, dict[str, float]]:
        by_time: dict[float, dict[str, float]] = {}
        for labels, points in source.query_range(promql.for_query(q), start, span.end, span.step):
            group = labels.get(q.by, "") if q.by else ""
            for at, value in points:
                if not math.isnan(value):
                    by_time.setdefault(_key(at), {})[group] = value
        return by_time

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answered = list(pool.map(one, queries))
    return RangeAnswers(dict(zip(queries, answered, strict=True)))


def _labels(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("__name__", ALERTSTATE)))


def fetch_alerts(source: PrometheusSource, span: Span) -> tuple[AlertSamples, ...]:
    """Every alert that fired during the span: at each step, whether it fired in the step before, and since when.

    `max_over_time` over one step catches an alert that fired between two step times.

    Raises:
        SourceError: when Prometheus cannot be reached or refuses a query.
    """
    start, window = span.times[0], promql.range_of(span.step)
    firing: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for labels, points in source.query_range(
        f'max_over_time({ALERTS}{{{ALERTSTATE}="firing"}}[{window}])', start, span.end, span.step
    ):
        firing.setdefault(_labels(labels), []).extend(_key(at) for at, value in points if value > 0)
    since: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = {}
    for labels, points in source.query_range(
        f"max_over_time({ALERTS_FOR_STATE}[{window}])", start, span.end, span.step
    ):
        since.setdefault(_labels(labels), []).extend((_key(at), value) for at, value in points)
    return tuple(
        AlertSamples(key, tuple(sorted(set(times))), tuple(sorted(since.get(key, []))))
        for key, times in sorted(firing.items())
        if times
    )
