"""`todochat restore-drill`: restore the newest backup into a scratch database, verify it, measure RTO and RPO.

RTO is measured from the start of the restore (checksum check, decryption, pg_restore) until the restored
copy has been verified; RPO is the time between the newest row in the restored copy and the drill's start,
that is how much a disaster at that moment would have lost. The scratch database is always dropped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import structlog

from app.recovery import crypto
from app.recovery.dsn import PostgresTarget
from app.recovery.errors import NoBackup, RecoveryError, RestoreFailed
from app.recovery.files import verify_sha256
from app.recovery.inventory import Inventory, quote_ident, take_inventory
from app.recovery.objectives import Objectives, resolve_objectives
from app.recovery.records import (
    BackupRecord,
    DrillRecord,
    apply_retention,
    load_backups,
    newest_successful_backup,
    record_id,
    write_record,
)
from app.recovery.restore import restore_file
from app.recovery.settings import RecoverySettings
from app.recovery.tools import pg_tool

log = structlog.get_logger(__name__)


@dataclass
class _Progress:
    """What the drill has found so far; it becomes the record whatever step fails."""

    started: datetime
    clock: float
    backup: BackupRecord | None = None
    scratch: str | None = None
    restored: bool = False
    verified: bool = False
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    newest_row_at: datetime | None = None
    problems: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)


async def run_drill(
    settings: RecoverySettings, *, tier: str | None = None, backup_id: str | None = None
) -> DrillRecord:
    """Run one restore drill against the newest successful backup (or `backup_id`) and record the result."""
    objectives = resolve_objectives(settings, tier)
    progress = _Progress(started=datetime.now(UTC), clock=time.monotonic())
    message = ""
    try:
        progress.backup = _choose_backup(settings, backup_id)
        await _restore_and_verify(settings, progress)
    except RecoveryError as err:
        progress.problems.insert(0, err.message)
        message = err.message
    except OSError as err:  # an unreadable backup file or directory: still a failed drill, on the record
        message = f"the drill could not read its input: {err}"
        progress.problems.insert(0, message)
    record = _judge(progress, objectives, message)
    write_record(settings.backup_dir, record)
    apply_retention(
        settings.backup_dir, keep_backups=settings.backup_retention, keep_drills=settings.restore_drill_retention
    )
    log.info(
        "restore_drill.done", outcome=record.outcome, rto_seconds=record.rto_seconds, rpo_seconds=record.rpo_seconds
    )
    return record


def _choose_backup(settings: RecoverySettings, backup_id: str | None) -> BackupRecord:
    if backup_id is None:
        newest = newest_successful_backup(settings.backup_dir)
        if newest is None:
            raise NoBackup(f"no successful backup in {settings.backup_dir} to restore (run `todochat backup` first)")
        return newest
    for record in load_backups(settings.backup_dir):
        if record.id == backup_id and record.outcome == "success":
            return record
    raise NoBackup(f"no successful backup with id {backup_id} in {settings.backup_dir}")


async def _restore_and_verify(settings: RecoverySettings, progress: _Progress) -> None:
    backup = progress.backup
    assert backup is not None
    assert backup.file is not None
    assert backup.sha256 is not None
    server = PostgresTarget.from_database_url(settings.restore_drill_database_url or settings.database_url)
    pg_restore = pg_tool("pg_restore", settings.pg_bin_dir)
    key = (
        crypto.parse_key(settings.backup_encryption_key.get_secret_value()) if settings.backup_encryption_key else None
    )
    path = settings.backup_dir / backup.file

    step = time.monotonic()
    await asyncio.to_thread(verify_sha256, path, backup.sha256)
    progress.phases["checksum"] = time.monotonic() - step

    progress.scratch = f"todochat_drill_{record_id(progress.started).lower()}_{uuid.uuid4().hex[:6]}"
    scratch = server.with_database(progress.scratch)
    await _create_database(server, progress.scratch)
    try:
        step = time.monotonic()
        await asyncio.to_thread(
            restore_file,
            pg_restore=pg_restore,
            path=path,
            target=scratch,
            key=key,
            timeout=settings.pg_restore_timeout_seconds,
        )
        progress.restored = True
        progress.phases["restore"] = time.monotonic() - step

        step = time.monotonic()
        found = await _inventory(scratch)
        progress.phases["verify"] = time.monotonic() - step
        progress.problems.extend(backup.inventory().differences(found))
        progress.verified = not progress.problems
        progress.rto_seconds = time.monotonic() - progress.clock
        progress.newest_row_at = found.newest_row_at
        # With no rows to date, the backup's snapshot time bounds what a restore brings back.
        newest = found.newest_row_at or backup.started_at
        progress.rpo_seconds = max(0.0, (progress.started - newest).total_seconds())
    finally:
        await _drop_database(server, progress.scratch, progress.problems)


async def _inventory(target: PostgresTarget) -> Inventory:
    conn = await _connect(target)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await take_inventory(conn)
    except asyncpg.PostgresError as err:
        raise RestoreFailed(f"cannot read the restored copy in {target.describe()}: {err}") from err
    finally:
        await conn.close()


async def _connect(target: PostgresTarget) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(target.asyncpg_dsn(), timeout=10)
    except (OSError, asyncpg.PostgresError) as err:
        raise RestoreFailed(f"cannot connect to {target.describe()}: {err}") from err


async def _create_database(server: PostgresTarget, name: str) -> None:
    conn = await _connect(server)
    try:
        await conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
    except asyncpg.PostgresError as err:
        raise RestoreFailed(f"cannot create the scratch database {name} on {server.describe()}: {err}") from err
    finally:
        await conn.close()


async def _drop_database(server: PostgresTarget, name: str, problems: list[str]) -> None:
    try:
        conn = await asyncpg.connect(server.asyncpg_dsn(), timeout=10)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as err:
        problems.append(f"the scratch database {name} could not be dropped: {err}; drop it by hand")


def _judge(progress: _Progress, objectives: Objectives, message: str) -> DrillRecord:
    problems = list(progress.problems)
    if progress.rto_seconds is not None and progress.rto_seconds > objectives.rto_seconds:
        problems.append(
            f"RTO {progress.rto_seconds:.1f} s is above the {objectives.tier} objective "
            f"of {objectives.rto_seconds:.0f} s"
        )
    if progress.rpo_seconds is not None and progress.rpo_seconds > objectives.rpo_seconds:
        problems.append(
            f"RPO {progress.rpo_seconds:.1f} s is above the {objectives.tier} objective "
            f"of {objectives.rpo_seconds:.0f} s"
        )
    passed = progress.restored and progress.verified and not problems
    if not message:
        message = (
            f"restored and verified; RTO {progress.rto_seconds:.1f} s, RPO {progress.rpo_seconds:.1f} s "
            f"within the {objectives.tier} objectives"
            if passed
            else "; ".join(problems)
        )
    backup = progress.backup
    return DrillRecord(
        id=record_id(progress.started),
        started_at=progress.started,
        finished_at=datetime.now(UTC),
        outcome="pass" if passed else "fail",
        message=message,
        problems=problems,
        tier=objectives.tier,
        rto_objective_seconds=objectives.rto_seconds,
        rpo_objective_seconds=objectives.rpo_seconds,
        objectives_source=objectives.source,
        backup_id=backup.id if backup else None,
        backup_file=backup.file if backup else None,
        scratch_database=progress.scratch,
        restored=progress.restored,
        verified=progress.verified,
        rto_seconds=progress.rto_seconds,
        rpo_seconds=progress.rpo_seconds,
        newest_row_at=progress.newest_row_at,
        phases_seconds=progress.phases,
    )
