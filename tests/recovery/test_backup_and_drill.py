"""Backups and restore drills against the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.recovery import crypto
from app.recovery.backup import run_backup
from app.recovery.drill import run_drill
from app.recovery.dsn import PostgresTarget
from app.recovery.errors import BackupFailed
from app.recovery.records import load_backups, load_drills
from app.recovery.restore import restore_file
from app.recovery.settings import RecoverySettings
from app.recovery.tools import pg_tool
from tests.conftest import POSTGRES_URL
from tests.recovery.conftest import (
    add_user_with_tasks,
    database_exists,
    make_recovery_settings,
    new_key,
    task_titles,
)
from tests.support import create_scratch_database, drop_scratch_database

# The schema revision a freshly migrated database is at: the newest migration's.
HEAD_REVISION = ScriptDirectory.from_config(Config(str(Path(__file__).parents[2] / "alembic.ini"))).get_current_head()

pytestmark = pytest.mark.postgres


async def test_a_drill_restores_exactly_what_was_backed_up_and_measures_rto_and_rpo_by_the_clock(
    recovery_settings: RecoverySettings, source_url: str
) -> None:
    await add_user_with_tasks(source_url, ["renew passport", "buy milk"])
    last_write_done = datetime.now(UTC)
    backup = await run_backup(recovery_settings)
    await add_user_with_tasks(source_url, ["written after the backup"])
    await asyncio.sleep(1.0)  # so the data-loss window is clearly longer than clock noise

    before_drill = datetime.now(UTC)
    drill = await run_drill(recovery_settings)
    after_drill = datetime.now(UTC)

    assert drill.outcome == "pass", drill.problems
    assert drill.verified
    assert drill.restored
    assert drill.backup_id == backup.id
    assert backup.tables["tasks"].rows == 2
    assert backup.tables["users"].rows == 1
    assert backup.schema_version == HEAD_REVISION
    # The newest restored row is the newest row written before the backup, not the one written after it.
    assert drill.newest_row_at == backup.newest_row_at
    assert backup.newest_row_at is not None
    assert backup.newest_row_at <= last_write_done
    assert drill.rto_seconds is not None
    assert drill.rpo_seconds is not None
    assert 0 < drill.rto_seconds <= (after_drill - before_drill).total_seconds()
    assert drill.rto_seconds >= sum(drill.phases_seconds.values())
    assert (before_drill - last_write_done).total_seconds() <= drill.rpo_seconds
    assert drill.rpo_seconds <= (after_drill - backup.newest_row_at).total_seconds()
    assert not await database_exists(source_url, drill.scratch_database)

    # Restoring the same file by hand shows the rows themselves: everything up to the backup, nothing after.
    assert POSTGRES_URL
    copy = await create_scratch_database(POSTGRES_URL)
    try:
        await asyncio.to_thread(
            restore_file,
            pg_restore=pg_tool("pg_restore", None),
            path=recovery_settings.backup_dir / (backup.file or ""),
            target=PostgresTarget.from_database_url(copy),
            key=None,
            timeout=120,
        )
        assert await task_titles(copy) == ["buy milk", "renew passport"]
        assert await task_titles(source_url) == ["buy milk", "renew passport", "written after the backup"]
    finally:
        await drop_scratch_database(POSTGRES_URL, copy)


async def test_an_encrypted_backup_holds_no_plaintext_and_round_trips(source_url: str, backup_dir: Path) -> None:
    settings = make_recovery_settings(source_url, backup_dir, backup_encryption_key=new_key())
    await add_user_with_tasks(source_url, ["a very recognisable secret title"])

    backup = await run_backup(settings)
    drill = await run_drill(settings)

    stored = (backup_dir / (backup.file or "")).read_bytes()
    assert stored.startswith(crypto.MAGIC)
    assert b"PGDMP" not in stored[:64]
    assert b"recognisable secret" not in stored
    assert backup.encryption is not None
    assert backup.file
    assert backup.file.endswith(".enc")
    assert drill.outcome == "pass", drill.problems
    assert drill.verified


async def test_a_wrong_key_fails_the_drill_clearly_and_drops_the_scratch_database(
    source_url: str, backup_dir: Path
) -> None:
    await add_user_with_tasks(source_url, ["one"])
    await run_backup(make_recovery_settings(source_url, backup_dir, backup_encryption_key=new_key()))

    drill = await run_drill(make_recovery_settings(source_url, backup_dir, backup_encryption_key=new_key()))

    assert drill.outcome == "fail"
    assert not drill.restored
    assert "wrong BACKUP_ENCRYPTION_KEY" in drill.message
    assert not await database_exists(source_url, drill.scratch_database)


async def test_an_encrypted_backup_without_a_key_fails_the_drill_saying_the_key_is_missing(
    source_url: str, backup_dir: Path
) -> None:
    await run_backup(make_recovery_settings(source_url, backup_dir, backup_encryption_key=new_key()))

    drill = await run_drill(make_recovery_settings(source_url, backup_dir))

    assert drill.outcome == "fail"
    assert "BACKUP_ENCRYPTION_KEY is not set" in drill.message


async def test_a_backup_whose_newest_row_is_older_than_the_rpo_fails_the_critical_drill_but_passes_high(
    source_url: str, backup_dir: Path
) -> None:
    await add_user_with_tasks(source_url, ["old news"], created_at=datetime.now(UTC) - timedelta(minutes=10))
    settings = make_recovery_settings(source_url, backup_dir)
    await run_backup(settings)

    critical = await run_drill(settings, tier="critical")
    high = await run_drill(settings, tier="high")

    assert critical.outcome == "fail"
    assert critical.verified  # the data is intact; only the objective is missed
    assert critical.rpo_seconds is not None
    assert critical.rpo_seconds >= 600
    assert any("RPO" in p and "critical objective of 300 s" in p for p in critical.problems)
    assert high.outcome == "pass", high.problems
    assert high.rpo_objective_seconds == 3600


async def test_a_changed_row_count_in_the_record_fails_verification_with_the_table_named(
    recovery_settings: RecoverySettings, source_url: str
) -> None:
    await add_user_with_tasks(source_url, ["one", "two"])
    backup = await run_backup(recovery_settings)
    record_path = recovery_settings.backup_dir / "records" / f"backup-{backup.id}.json"
    forged = backup.model_copy(deep=True)
    forged.tables["tasks"].rows = 3
    record_path.write_text(forged.model_dump_json())

    drill = await run_drill(recovery_settings)

    assert drill.outcome == "fail"
    assert drill.restored
    assert not drill.verified
    assert "table tasks: 2 rows, expected 3" in drill.problems


async def test_retention_keeps_the_newest_n_successful_backups(source_url: str, backup_dir: Path) -> None:
    settings = make_recovery_settings(source_url, backup_dir, backup_retention=2)

    made = [await run_backup(settings) for _ in range(3)]

    kept = load_backups(backup_dir)
    assert [r.id for r in kept] == [made[1].id, made[2].id]
    assert sorted(p.name for p in backup_dir.glob("todochat-*")) == sorted([made[1].file, made[2].file])


async def test_a_backup_of_a_missing_database_fails_and_is_recorded_as_a_failure(
    source_url: str, backup_dir: Path
) -> None:
    missing = PostgresTarget.from_database_url(source_url).with_database("todochat_no_such_database").url
    settings = make_recovery_settings(missing.render_as_string(hide_password=False), backup_dir)

    with pytest.raises(BackupFailed, match="todochat_no_such_database"):
        await run_backup(settings)

    [record] = load_backups(backup_dir)
    assert record.outcome == "failure"
    assert record.error
    assert "todochat_no_such_database" in record.error
    assert not list(backup_dir.glob("todochat-*"))


async def test_a_drill_with_no_backup_is_recorded_as_failed(recovery_settings: RecoverySettings) -> None:
    drill = await run_drill(recovery_settings)

    assert drill.outcome == "fail"
    assert "no successful backup" in drill.message
    assert [d.id for d in load_drills(recovery_settings.backup_dir)] == [drill.id]
