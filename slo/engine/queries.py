"""What the engine asks of a source: counter increases and gauge values, grouped by at most one label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from slo.model import Selector


@dataclass(frozen=True, slots=True)
class Query:
    """`increase`: how much the selected counters grew over the `seconds` before now, summed.
    `gauge`: the largest current value of the selected gauges.
    `by`: group the answer by this label ("le" for histogram buckets, "instance" per instance).
    `end`: the increase over the `seconds` before this Unix time instead of before now (a past maintenance window).
    """

    kind: Literal["increase", "gauge"]
    selector: Selector
    seconds: float = 0.0
    by: str | None = None
    end: float | None = None


# Each answer maps the `by` label's value ("" when ungrouped) to a number; no series gives an empty mapping.
Observations = Mapping[Query, Mapping[str, float]]


def total(observations: Observations, query: Query) -> float:
    """The ungrouped sum of an answer; 0 when nothing matched."""
    return float(sum(observations.get(query, {}).values()))


def largest(observations: Observations, query: Query) -> float | None:
    """The largest value of an answer; None when nothing matched."""
    values = observations.get(query, {})
    return max(values.values()) if values else None
