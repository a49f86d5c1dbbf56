"""Raw samples (counter series, histogram buckets, gauges) answering the engine's queries in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slo.engine.queries import Observations, Query


@dataclass(frozen=True, slots=True)
class Series:
    """One time series: a name, its labels, and (unix seconds, value) points in time order."""

    name: str
    labels: tuple[tuple[str, str], ...]
    points: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, name: str, labels: Mapping[str, str], points: Iterable[tuple[float, float]]) -> Series:
        return cls(name, tuple(sorted(labels.items())), tuple(sorted(points)))

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def counter_increase(points: tuple[tuple[float, float], ...], start: float, end: float) -> float:
    """How much a counter grew in (start, end], counting through resets.

    The baseline is the last point at or before `start`; a series born inside the window starts from zero,
    because a counter that appears has just been created.
    """
    baseline = 0.0
    previous: float | None = None
    grown = 0.0
    for ts, value in points:
        if ts <= start:
            baseline = value
            continue
        if ts > end:
            break
        before = baseline if previous is None else previous
        grown += value - before if value >= before else value
        previous = value
    return grown


def gauge_value(points: tuple[tuple[float, float], ...], at: float, lookback: float) -> float | None:
    """The last value at or before `at`, if it is at most `lookback` seconds old (as Prometheus looks back)."""
    last = None
    for ts, value in points:
        if ts > at:
            break
        last = (ts, value)
    if last is None or at - last[0] > lookback:
        return None
    return last[1]


def answer(queries: Iterable[Query], series: Iterable[Series], now: float, lookback: float = 300.0) -> Observations:
    """Answer each query from the series, as Prometheus would at `now` (without its edge extrapolation)."""
    by_name: dict[str, list[Series]] = defaultdict(list)
    for s in series:
        by_name[s.name].append(s)
    out: dict[Query, dict[str, float]] = {}
    for q in queries:
        groups: dict[str, float] = {}
        for s in by_name.get(q.selector.series, []):
            labels = s.label_map
            if not q.selector.matches(s.name, labels):
                continue
            key = labels.get(q.by, "") if q.by else ""
            if q.kind == "increase":
                end = now if q.end is None else q.end
                groups[key] = groups.get(key, 0.0) + counter_increase(s.points, end - q.seconds, end)
            else:
                value = gauge_value(s.points, now, lookback)
                if value is not None:
                    groups[key] = max(groups.get(key, value), value)
        out[q] = groups
    return out
