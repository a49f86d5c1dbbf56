"""`todochat backup`: a consistent, checksummed, optionally encrypted pg_dump with a record of what it holds.

The dump and the inventory (row counts, per-table checksums, schema version, newest row time) come from the
same snapshot: a REPEATABLE READ transaction exports its snapshot and pg_dump joins it with --snapshot, so a
later restore can be checked against exactly what was dumped, not against a database that moved on.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import asyncpg
import structlog

from app.recovery import crypto
from app.recovery.dsn import PostgresTarget
from app.recovery.errors import BackupFailed, RecoveryError
from app.recovery.files import durable_replace, open_private
from app.recovery.inventory import take_inventory
from app.recovery.records import (
    BackupRecord,
    EncryptionRecord,
    TableRecord,
    apply_retention,
    ensure_dirs,
    record_id,
    write_record,
)
from app.recovery.settings import RecoverySettings
from app.recovery.tools import pg_tool, stderr_file, tail, tool_env, tool_version, watchdog

log = structlog.get_logger(__name__)


def backup_filename(rid: str, *, encrypted: bool) -> str:
    return f"todochat-{rid}.dump" + (".enc" if encrypted else "")


async def run_backup(settings: RecoverySettings) -> BackupRecord:
    """Back up DATABASE_URL into the backup directory, record it, apply retention.

    The record is written whatever the outcome, so metrics and alerts see failures too.

    Raises:
        RecoveryError: the backup failed (the failure record has been written).
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    rid = record_id(started)
    key = (
        crypto.parse_key(settings.backup_encryption_key.get_secret_value()) if settings.backup_encryption_key else None
    )
    target = PostgresTarget.from_database_url(settings.database_url)
    ensure_dirs(settings.backup_dir)
    filename = backup_filename(rid, encrypted=key is not None)
    try:
        pg_dump = pg_tool("pg_dump", settings.pg_bin_dir)
        conn = await _connect(target)
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                snapshot: str = await conn.fetchval("SELECT pg_export_snapshot()")
                size, digest = await _dump_in_thread(pg_dump, target, snapshot, settings, filename, key)
                inventory = await take_inventory(conn)
        finally:
            await conn.close()
    except RecoveryError as err:
        _record_failure(settings, rid, started, clock, target, err.message)
        raise
    except (OSError, asyncpg.PostgresError) as err:
        message = f"the snapshot for the backup failed on {target.describe()}: {err}"
        _record_failure(settings, rid, started, clock, target, message)
        raise BackupFailed(message) from err
    record = BackupRecord(
        id=rid,
        started_at=started,
        finished_at=datetime.now(UTC),
        duration_seconds=time.monotonic() - clock,
        outcome="success",
        database=target.describe(),
        file=filename,
        size_bytes=size,
        sha256=digest,
        encryption=EncryptionRecord(algorithm=crypto.ALGORITHM, key_id=crypto.key_id(key)) if key else None,
        pg_dump_version=tool_version(pg_dump),
        schema_version=inventory.schema_version,
        tables={name: TableRecord(rows=t.rows, checksum=t.checksum) for name, t in inventory.tables.items()},
        newest_row_at=inventory.newest_row_at,
    )
    write_record(settings.backup_dir, record)
    removed = apply_retention(
        settings.backup_dir, keep_backups=settings.backup_retention, keep_drills=settings.restore_drill_retention
    )
    log.info("backup.done", backup_id=rid, size_bytes=size, duration_seconds=record.duration_seconds, removed=removed)
    return record


async def _connect(target: PostgresTarget) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(target.asyncpg_dsn(), timeout=10)
    except (OSError, asyncpg.PostgresError) as err:
        raise BackupFailed(f"cannot connect to {target.describe()}: {err}") from err


async def _dump_in_thread(
    pg_dump: str, target: PostgresTarget, snapshot: str, settings: RecoverySettings, filename: str, key: bytes | None
) -> tuple[int, str]:
    return await asyncio.to_thread(
        dump_to_file,
        command=[
            pg_dump,
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--dbname={target.libpq_dsn()}",
        ],
        env=tool_env(target.libpq_env()),
        path=settings.backup_dir / filename,
        key=key,
        timeout=settings.pg_dump_timeout_seconds,
    )


def dump_to_file(
    *, command: list[str], env: dict[str, str], path: Path, key: bytes | None, timeout: float
) -> tuple[int, str]:
    """Stream pg_dump's output (encrypted when `key` is set) into `path`; return its size and SHA-256.

    Raises:
        BackupFailed: pg_dump failed or timed out; no file is left behind.
    """
    partial = path.with_name(path.name + ".partial")
    with stderr_file() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)  # noqa: S603 - fixed tool, no shell
        assert process.stdout is not None
        try:
            with watchdog(process, timeout) as timed_out:
                size, digest = _write_stream(_read_chunks(process.stdout), partial, key)
                returncode = process.wait()
        except OSError as err:
            process.kill()
            process.wait()
            partial.unlink(missing_ok=True)
            raise BackupFailed(f"cannot write the backup to {path}: {err}") from err
        if returncode != 0:
            partial.unlink(missing_ok=True)
            why = f"timed out after {timeout:.0f} s" if timed_out.is_set() else f"exited with {returncode}"
            raise BackupFailed(f"pg_dump {why}: {tail(errors)}")
    durable_replace(partial, path)
    return size, digest


def _read_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(crypto.CHUNK_BYTES):
        yield chunk


def _write_stream(chunks: Iterable[bytes], path: Path, key: bytes | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open_private(path) as out:
        for block in crypto.encrypt_chunks(chunks, key) if key else chunks:
            out.write(block)
            digest.update(block)
            size += len(block)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def _record_failure(
    settings: RecoverySettings, rid: str, started: datetime, clock: float, target: PostgresTarget, message: str
) -> None:
    record = BackupRecord(
        id=rid,
        started_at=started,
        finished_at=datetime.now(UTC),
        duration_seconds=time.monotonic() - clock,
        outcome="failure",
        error=message,
        database=target.describe(),
    )
    write_record(settings.backup_dir, record)
    log.error("backup.failed", backup_id=rid, error=message)
