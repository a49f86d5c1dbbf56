"""Percentiles and threshold shares from cumulative histogram buckets, computed as Prometheus does."""

from __future__ import annotations

import math
from collections.abc import Mapping


def parse_le(text: str) -> float:
    """A bucket's `le` label as a number ("+Inf" -> inf)."""
    return math.inf if text in ("+Inf", "Inf", "inf") else float(text)


def sorted_buckets(buckets: Mapping[str, float]) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) pairs sorted by bound, from {le: count}."""
    return sorted((parse_le(le), count) for le, count in buckets.items())


def quantile(q: float, buckets: Mapping[str, float]) -> float | None:
    """The q-quantile by linear interpolation inside the bucket that holds it, like PromQL histogram_quantile.

    None when there are no observations. A quantile that lands in the +Inf bucket answers the highest finite
    bound, as Prometheus does.
    """
    pairs = sorted_buckets(buckets)
    if len(pairs) < 2 or not math.isinf(pairs[-1][0]):
        return None
    # Counters sampled at slightly different moments can be non-monotonic; Prometheus evens that out the same way.
    counts, running = [], 0.0
    for _, count in pairs:
        running = max(running, count)
        counts.append(running)
    total = counts[-1]
    if total <= 0 or math.isnan(total):
        return None
    rank = q * total
    index = next(i for i in range(len(pairs)) if i == len(pairs) - 1 or counts[i] >= rank)
    if index == len(pairs) - 1:
        return pairs[-2][0]
    upper = pairs[index][0]
    if index == 0 and upper <= 0:
        return upper
    lower = 0.0 if index == 0 else pairs[index - 1][0]
    below = 0.0 if index == 0 else counts[index - 1]
    in_bucket = counts[index] - below
    if in_bucket <= 0:
        return upper
    return lower + (upper - lower) * ((rank - below) / in_bucket)


def share_at_most(threshold: float, buckets: Mapping[str, float]) -> float | None:
    """The share of observations at most `threshold`, which must be a bucket bound."""
    pairs = dict(sorted_buckets(buckets))
    total = pairs.get(math.inf, 0.0)
    if total <= 0 or threshold not in pairs:
        return None
    return pairs[threshold] / total


def nearest_rank(q: float, samples: list[float]) -> float | None:
    """The q-quantile of raw samples by the nearest-rank method (no interpolation); None when empty."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(math.ceil(q * len(ordered)), 1)
    return ordered[rank - 1]
