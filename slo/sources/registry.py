"""The running process's own prometheus_client registry as a source, with a bounded in-memory history.

Counters in one process start at zero, so a window that reaches back before the history began counts from
zero: the evaluation covers the process's lifetime (windows longer than the retention count from the oldest
kept sample). Prometheus remains the source for the full SLO period across restarts and instances.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client.registry import Collector, CollectorRegistry

from slo.engine.queries import Observations, Query
from slo.sources.series import Series

SKIPPED_SUFFIXES = ("_created",)
LE = "le"


def registry_series(registry: CollectorRegistry | Collector, at: float) -> list[Series]:
    """Every sample in the registry now, as one-point series at `at`."""
    out = []
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith(SKIPPED_SUFFIXES):
                continue
            out.append(Series.of(sample.name, sample.labels, [(at, float(sample.value))]))
    return out


def current_values(queries: Iterable[Query], series: list[Series]) -> dict[Query, dict[str, float]]:
    """Each query's cumulative counter sums (or gauge maxima) at this moment, grouped by its label."""
    # Indexed by name, labels mapped once: every query against every series grew with the series created at zero
    # at startup (about 4,000), to seconds per scrape.
    # Buckets are also indexed by their bound, which most latency queries name.
    by_name: dict[tuple[str, str | None], list[tuple[Series, dict[str, str]]]] = {}
    for s in series:
        labels = s.label_map
        by_name.setdefault((s.name, None), []).append((s, labels))
        if LE in labels:
            by_name.setdefault((s.name, labels[LE]), []).append((s, labels))
    out: dict[Query, dict[str, float]] = {}
    for q in queries:
        groups: dict[str, float] = {}
        bound = next((m.values[0] for m in q.selector.matchers if m.label == LE and not m.negate), None)
        for s, labels in by_name.get((q.selector.series, bound), ()):
            if not q.selector.matches(s.name, labels):
                continue
            key = labels.get(q.by, "") if q.by else ""
            value = s.points[-1][1]
            groups[key] = groups.get(key, 0.0) + value if q.kind == "increase" else max(groups.get(key, value), value)
        out[q] = groups
    return out


@dataclass
class _Track:
    groups: list[str] = field(default_factory=list)
    points: deque[tuple[float, tuple[float, ...]]] = field(default_factory=deque)

    def append(self, at: float, values: dict[str, float]) -> None:
        for key in values:
            if key not in self.groups:
                self.groups.append(key)
        self.points.append((at, tuple(values.get(k, 0.0) for k in self.groups)))

    def at_or_before(self, at: float) -> dict[str, float] | None:
        found = None
        for ts, values in self.points:  # oldest first; a few thousand points at most
            if ts > at:
                break
            found = values
        return None if found is None else dict(zip(self.groups, found, strict=False))


class History:
    """Snapshots of the cumulative sums the engine's queries select, sampled at most every `resolution` s."""

    def __init__(
        self,
        collect: Callable[[float], list[Series]],
        *,
        resolution: float = 60.0,
        retention: float = 3 * 86400 + 3600,
        started_at: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._collect = collect
        self.resolution = resolution
        self.retention = retention
        self.clock = clock
        self.started_at = started_at if started_at is not None else clock()
        self._tracks: dict[Query, _Track] = {}
        self._latest: dict[Query, dict[str, float]] = {}
        self._lock = threading.Lock()

    def observe(self, queries: list[Query], now: float | None = None) -> Observations:
        """Sample now (if due) and answer the queries from the history."""
        now = self.clock() if now is None else now
        with self._lock:
            current = current_values(queries, self._collect(now))
            for q in queries:
                keyed = Query(q.kind, q.selector, 0.0, q.by)
                track = self._tracks.setdefault(keyed, _Track())
                if not track.points or now - track.points[-1][0] >= self.resolution:
                    track.append(now, current[q])
                while track.points and now - track.points[0][0] > self.retention:
                    track.points.popleft()
            out: dict[Query, dict[str, float]] = {}
            for q in queries:
                if q.kind == "gauge":
                    out[q] = current[q]
                    continue
                track = self._tracks[Query(q.kind, q.selector, 0.0, q.by)]
                end = now if q.end is None else min(q.end, now)
                start = end - q.seconds
                top = current[q] if end >= now else (track.at_or_before(end) or {})
                base = {} if start < self.started_at else (track.at_or_before(start) or {})
                out[q] = {k: max(v - base.get(k, 0.0), 0.0) for k, v in top.items()}
            return out
