"""Per-second request samples: the format the Locust recorder writes and the gate reads.

One JSON object a line, additive: `{"t": second, "k": "GET /api/v1/tasks", "n": requests, "f": failures,
"h": {milliseconds: count}}` (lines with the same second and endpoint add up, so workers' late reports just
append), `{"t": second, "users": n}` and one `{"start": wall_time}` when the test starts. Response times are
rounded as Locust rounds them (1 ms under 100 ms, 10 ms under 1 s, 100 ms under 10 s, then 1 s), which
keeps a second's histogram small and percentiles within 1% of exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


def rounded_ms(response_time_ms: float) -> int:
    """Locust's rounding of a response time for its histograms."""
    if response_time_ms < 100:
        return round(response_time_ms)
    if response_time_ms < 1000:
        return int(round(response_time_ms, -1))
    if response_time_ms < 10000:
        return int(round(response_time_ms, -2))
    return int(round(response_time_ms, -3))


@dataclass(slots=True)
class Bucket:
    """One endpoint in one second."""

    requests: int = 0
    failures: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, response_time_ms: float, failed: bool) -> None:
        self.requests += 1
        self.failures += failed
        key = rounded_ms(response_time_ms)
        self.histogram[key] = self.histogram.get(key, 0) + 1

    def merge(self, requests: int, failures: int, histogram: dict[int, int]) -> None:
        self.requests += requests
        self.failures += failures
        for ms, count in histogram.items():
            self.histogram[ms] = self.histogram.get(ms, 0) + count


Key = tuple[int, str]  # (second, "METHOD name")


def encode(buckets: dict[Key, Bucket]) -> list[dict[str, object]]:
    """Buckets as JSON-ready records (also what a worker ships to the master)."""
    return [
        {"t": t, "k": k, "n": b.requests, "f": b.failures, "h": {str(ms): n for ms, n in b.histogram.items()}}
        for (t, k), b in buckets.items()
    ]


def decode_into(buckets: dict[Key, Bucket], records: Iterable[dict[str, object]]) -> None:
    """Add records (from `encode`) into `buckets`."""
    for r in records:
        key = (int(r["t"]), str(r["k"]))  # type: ignore[call-overload]  # JSON numbers
        hist = r["h"]
        assert isinstance(hist, dict)
        buckets.setdefault(key, Bucket()).merge(
            int(r["n"]),  # type: ignore[call-overload]  # JSON numbers
            int(r["f"]),  # type: ignore[call-overload]  # JSON numbers
            {int(ms): int(n) for ms, n in hist.items()},
        )


@dataclass(slots=True)
class Recording:
    """What a run recorded so far: its start, the buckets and the user count per second."""

    start: float | None = None
    buckets: dict[Key, Bucket] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)

    @property
    def last_second(self) -> int | None:
        return max((t for t, _ in self.buckets), default=None)

    def endpoints(self) -> list[str]:
        return sorted({k for _, k in self.buckets})

    def window(self, start: float, end: float) -> dict[str, Bucket]:
        """Per endpoint, everything recorded in whole seconds t with start <= t and t + 1 <= end."""
        out: dict[str, Bucket] = {}
        for (t, k), b in self.buckets.items():
            if t >= start and t + 1 <= end:
                out.setdefault(k, Bucket()).merge(b.requests, b.failures, b.histogram)
        return out

    def per_second(self, start: float, end: float) -> Iterator[tuple[int, int, int]]:
        """(second, requests, failures) for every second in the window, all endpoints together."""
        totals: dict[int, list[int]] = {}
        for (t, _), b in self.buckets.items():
            if t >= start and t + 1 <= end:
                row = totals.setdefault(t, [0, 0])
                row[0] += b.requests
                row[1] += b.failures
        for t in sorted(totals):
            yield t, totals[t][0], totals[t][1]


def parse_lines(lines: Iterable[str]) -> Recording:
    """A recording from sample lines; a torn last line (the writer was mid-write) is skipped."""
    rec = Recording()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "start" in record:
            rec.start = float(record["start"])
        elif "users" in record:
            rec.users[int(record["t"])] = int(record["users"])
        else:
            decode_into(rec.buckets, [record])
    return rec


def read_recording(path: Path) -> Recording:
    """The recording in a samples file (empty when the file does not exist yet)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return parse_lines(fh)
    except FileNotFoundError:
        return Recording()


class SampleTail:
    """Follows a samples file as it grows, parsing only complete new lines into one Recording."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.recording = Recording()

    def poll(self) -> Recording:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return self.recording
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        if complete:
            update = parse_lines(complete.decode("utf-8").splitlines())
            if update.start is not None:
                self.recording.start = update.start
            self.recording.users.update(update.users)
            for key, bucket in update.buckets.items():
                self.recording.buckets.setdefault(key, Bucket()).merge(
                    bucket.requests, bucket.failures, bucket.histogram
                )
        return self.recording
