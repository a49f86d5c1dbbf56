"""Load-test fixtures: recorded sample files, and synthetic recordings built second by second."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.samples import Bucket, Recording
from slo.load import load_spec
from slo.model import Spec

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


def synthetic(
    seconds: int,
    per_second: dict[str, tuple[int, int, int]],
    *,
    start: float = 1000.0,
    overrides: dict[int, dict[str, tuple[int, int, int]]] | None = None,
) -> Recording:
    """A recording starting at `start`: every second, per endpoint key, (requests, failures, milliseconds each).

    `overrides` replaces what some seconds (offsets from the start) recorded.
    """
    rec = Recording(start=start)
    for offset in range(seconds):
        row = (overrides or {}).get(offset, per_second)
        for key, (n, f, ms) in row.items():
            rec.buckets[(int(start) + offset, key)] = Bucket(n, f, {ms: n} if n else {})
    return rec
