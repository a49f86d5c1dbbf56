"""JSON records of every backup and restore drill, kept next to the backups, and their retention.

Layout under the backup directory:
    todochat-<id>.dump[.enc]      the backup (custom-format pg_dump, optionally encrypted)
    records/backup-<id>.json      what was backed up, when, how big, its checksum and per-table inventory
    records/drill-<id>.json       what a restore drill found and measured
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from app.recovery.inventory import Inventory, TableState

RECORDS_DIR = "records"
_Record = TypeVar("_Record", bound=BaseModel)


def record_id(at: datetime) -> str:
    """A sortable id from a UTC time (microseconds, so two backups in one second do not collide)."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


class TableRecord(BaseModel):
    rows: int
    checksum: str


class EncryptionRecord(BaseModel):
    algorithm: str
    key_id: str


class BackupRecord(BaseModel):
    """One backup attempt."""

    kind: Literal["backup"] = "backup"
    id: str
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    outcome: Literal["success", "failure"]
    error: str | None = None
    database: str
    file: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    encryption: EncryptionRecord | None = None
    pg_dump_version: str | None = None
    schema_version: str | None = None
    tables: dict[str, TableRecord] = {}
    newest_row_at: datetime | None = None

    def inventory(self) -> Inventory:
        """The source's inventory at backup time."""
        return Inventory(
            schema_version=self.schema_version,
            tables={name: TableState(rows=t.rows, checksum=t.checksum) for name, t in self.tables.items()},
            newest_row_at=self.newest_row_at,
        )


class DrillRecord(BaseModel):
    """One restore drill: what was restored, what verification found, and the measured RTO and RPO."""

    kind: Literal["drill"] = "drill"
    id: str
    started_at: datetime
    finished_at: datetime
    outcome: Literal["pass", "fail"]
    message: str
    problems: list[str] = []
    tier: str
    rto_objective_seconds: float
    rpo_objective_seconds: float
    objectives_source: str
    backup_id: str | None = None
    backup_file: str | None = None
    scratch_database: str | None = None
    restored: bool = False
    verified: bool = False
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    newest_row_at: datetime | None = None
    phases_seconds: dict[str, float] = {}


def records_dir(backup_dir: Path) -> Path:
    return backup_dir / RECORDS_DIR


def ensure_dirs(backup_dir: Path) -> None:
    """Create the backup and records directories, readable by the owner only (backups hold user data)."""
    records_dir(backup_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    backup_dir.chmod(0o700)


def write_record(backup_dir: Path, record: BackupRecord | DrillRecord) -> Path:
    """Write a record atomically (readers never see half a file)."""
    ensure_dirs(backup_dir)
    path = records_dir(backup_dir) / f"{record.kind}-{record.id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _load(backup_dir: Path, kind: str, model: type[_Record]) -> list[_Record]:
    folder = records_dir(backup_dir)
    if not folder.is_dir():
        return []
    loaded: list[_Record] = []
    for path in sorted(folder.glob(f"{kind}-*.json")):
        # A record being replaced or hand-damaged must not hide the others (or break /metrics).
        with contextlib.suppress(OSError, ValidationError):
            loaded.append(model.model_validate_json(path.read_bytes()))
    return loaded


def load_backups(backup_dir: Path) -> list[BackupRecord]:
    """Every backup record, oldest first."""
    return sorted(_load(backup_dir, "backup", BackupRecord), key=lambda r: r.started_at)


def load_drills(backup_dir: Path) -> list[DrillRecord]:
    """Every drill record, oldest first."""
    return sorted(_load(backup_dir, "drill", DrillRecord), key=lambda r: r.started_at)


def newest_successful_backup(backup_dir: Path) -> BackupRecord | None:
    """The newest backup whose outcome was success."""
    successes = [r for r in load_backups(backup_dir) if r.outcome == "success"]
    return successes[-1] if successes else None


def apply_retention(backup_dir: Path, *, keep_backups: int, keep_drills: int) -> list[str]:
    """Keep the newest `keep_backups` successful backups (and failures since the oldest kept); return removed ids."""
    backups = load_backups(backup_dir)
    successes = [r for r in backups if r.outcome == "success"]
    kept = successes[-keep_backups:]
    removed: list[str] = []
    for record in backups if kept else []:
        if record.started_at >= kept[0].started_at:
            continue
        if record.file:
            (backup_dir / record.file).unlink(missing_ok=True)
        (records_dir(backup_dir) / f"backup-{record.id}.json").unlink(missing_ok=True)
        removed.append(record.id)
    for drill in load_drills(backup_dir)[:-keep_drills]:
        (records_dir(backup_dir) / f"drill-{drill.id}.json").unlink(missing_ok=True)
    return removed
