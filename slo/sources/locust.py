"""Locust stats files (`--json` output and `--csv` stats) as load-gate input."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slo.engine.gate import EndpointWindow, Latencies
from slo.errors import SourceError

AGGREGATED = "Aggregated"


@dataclass(frozen=True, slots=True)
class LocustEntry:
    """One Locust stats entry (an endpoint), as `locust --json` writes it."""

    name: str
    method: str
    num_requests: int
    num_failures: int
    response_times: Mapping[int, int]  # rounded milliseconds -> count
    num_reqs_per_sec: Mapping[int, int]
    num_fail_per_sec: Mapping[int, int]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LocustEntry:
        def ints(d: Mapping[str, Any] | None) -> dict[int, int]:
            return {int(float(k)): int(v) for k, v in (d or {}).items()}

        return cls(
            name=str(data["name"]),
            method=str(data.get("method") or ""),
            num_requests=int(data["num_requests"]),
            num_failures=int(data["num_failures"]),
            response_times=ints(data.get("response_times")),
            num_reqs_per_sec=ints(data.get("num_reqs_per_sec")),
            num_fail_per_sec=ints(data.get("num_fail_per_sec")),
        )


def parse_locust_json(text: str, source: str = "<memory>") -> list[LocustEntry]:
    """Entries from `locust --json` output (a list of stats entries)."""
    try:
        data = json.loads(text)
        return [LocustEntry.from_json(item) for item in data]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise SourceError(f"{source}: not Locust JSON stats: {err}") from err


def read_locust_json(path: Path) -> list[LocustEntry]:
    try:
        return parse_locust_json(path.read_text(encoding="utf-8"), str(path))
    except OSError as err:
        raise SourceError(f"{path}: cannot read Locust stats: {err.strerror}") from err


def _in(per_second: Mapping[int, int], start: float | None, end: float | None) -> int:
    return sum(n for t, n in per_second.items() if (start is None or t >= start) and (end is None or t < end))


def endpoint_windows(
    later: Sequence[LocustEntry],
    earlier: Sequence[LocustEntry] = (),
    *,
    start: float | None = None,
    end: float | None = None,
) -> list[EndpointWindow]:
    """Per endpoint: requests and failures in [start, end), latencies added since `earlier` (a snapshot taken
    when the steady state began). Without `earlier`, latencies cover the whole run so far."""
    before = {(e.method, e.name): e for e in earlier}
    out = []
    for e in later:
        if e.name == AGGREGATED:
            continue
        prior = before.get((e.method, e.name))
        histogram = dict(e.response_times)
        if prior is not None:
            histogram = {k: v - prior.response_times.get(k, 0) for k, v in histogram.items()}
        if start is None and end is None and prior is not None:
            requests, failures = e.num_requests - prior.num_requests, e.num_failures - prior.num_failures
        else:
            requests, failures = _in(e.num_reqs_per_sec, start, end), _in(e.num_fail_per_sec, start, end)
        out.append(EndpointWindow(e.name, e.method, requests, failures, Latencies.of_milliseconds(histogram)))
    return out


@dataclass(frozen=True, slots=True)
class CsvStats:
    """One row of Locust's `*_stats.csv`: counts, average and percentiles in milliseconds."""

    name: str
    method: str
    requests: int
    failures: int
    average_ms: float
    requests_per_second: float
    percentiles_ms: Mapping[str, float]  # "50%", "95%", "99%", ...


def read_locust_csv(path: Path) -> list[CsvStats]:
    """Rows of a Locust `*_stats.csv` file (the Aggregated row included, named "Aggregated")."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise SourceError(f"{path}: cannot read Locust CSV stats: {err.strerror}") from err
    out = []
    for number, row in enumerate(rows, 2):
        try:
            out.append(
                CsvStats(
                    name=row["Name"],
                    method=row.get("Type", ""),
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    average_ms=float(row["Average Response Time"]),
                    requests_per_second=float(row["Requests/s"]),
                    percentiles_ms={k: float(v) for k, v in row.items() if k.endswith("%") and v not in ("", "N/A")},
                )
            )
        except (KeyError, ValueError) as err:
            raise SourceError(f"{path}:{number}: not a Locust stats row: {err}") from err
    return out
