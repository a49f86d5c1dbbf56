"""Backup and restore-drill records (JSON lines) as gauge samples for the recovery objectives."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from slo.errors import SourceError
from slo.sources.series import Series
from telemetry import conventions as c


@dataclass(frozen=True, slots=True)
class DrillRecord:
    """One backup or restore drill. Times are Unix seconds; RTO and RPO only for drills."""

    kind: Literal["backup", "restore_drill"]
    finished_at: float
    ok: bool
    duration_seconds: float | None = None
    size_bytes: float | None = None
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    detail: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def parse_records(lines: Iterable[str], source: str = "<memory>") -> list[DrillRecord]:
    """Records from JSON lines (blank lines skipped); raises SourceError naming the line."""
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.append(DrillRecord(**data))
        except (json.JSONDecodeError, TypeError) as err:
            raise SourceError(f"{source}:{number}: not a drill record: {err}") from err
    return out


def read_records(path: Path) -> list[DrillRecord]:
    """Records from a JSON lines file."""
    try:
        return parse_records(path.read_text(encoding="utf-8").splitlines(), str(path))
    except OSError as err:
        raise SourceError(f"{path}: cannot read drill records: {err.strerror}") from err


def drill_series(records: Iterable[DrillRecord], now: float) -> list[Series]:
    """The backup and drill gauges as the app would export them now, from the newest records."""
    records = sorted(records, key=lambda r: r.finished_at)
    backups = [r for r in records if r.kind == "backup" and r.ok]
    drills = [r for r in records if r.kind == "restore_drill"]
    out: list[Series] = []

    def gauge(name: str, value: float | None) -> None:
        if value is not None:
            out.append(Series.of(name, {}, [(now, value)]))

    if backups:
        newest = backups[-1]
        gauge(c.BACKUP_LAST_SUCCESS, newest.finished_at)
        gauge(c.BACKUP_DURATION, newest.duration_seconds)
        gauge(c.BACKUP_SIZE, newest.size_bytes)
    if drills:
        last = drills[-1]
        gauge(c.RESTORE_DRILL_LAST_RUN, last.finished_at)
        gauge(c.RESTORE_DRILL_SUCCESS, 1.0 if last.ok else 0.0)
        gauge(c.RESTORE_DRILL_RTO, last.rto_seconds)
        gauge(c.RESTORE_DRILL_RPO, last.rpo_seconds)
    return out
