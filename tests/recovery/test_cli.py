"""`todochat backup` and `todochat restore-drill` through the installed entry point, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.recovery.records import load_drills
from telemetry import conventions as c
from tests.recovery.conftest import add_user_with_tasks, new_key

pytestmark = pytest.mark.postgres

TODOCHAT = str(Path(sys.executable).parent / "todochat")


def todochat(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TODOCHAT, *args], env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def metric(textfile: Path, name: str) -> float:
    for line in textfile.read_text().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in {textfile}")


async def test_backup_then_drill_pass_and_write_the_metrics_textfile(
    source_url: str, backup_dir: Path, tmp_path: Path
) -> None:
    await add_user_with_tasks(source_url, ["through the cli"])
    env = {"DATABASE_URL": source_url, "BACKUP_DIR": str(backup_dir), "BACKUP_ENCRYPTION_KEY": new_key()}

    backup = todochat("backup", env=env, cwd=tmp_path)
    drill = todochat("restore-drill", "--tier", "critical", "--json", env=env, cwd=tmp_path)

    assert backup.returncode == 0, backup.stderr
    assert "encrypted (key id" in backup.stdout
    assert drill.returncode == 0, drill.stderr
    record = json.loads(drill.stdout)
    assert record["outcome"] == "pass"
    assert record["tier"] == "critical"
    textfile = backup_dir / "todochat_recovery.prom"
    assert metric(textfile, c.RESTORE_DRILL_SUCCESS) == 1
    assert metric(textfile, c.RESTORE_DRILL_RTO) == pytest.approx(record["rto_seconds"])
    assert metric(textfile, c.RESTORE_DRILL_RPO) == pytest.approx(record["rpo_seconds"])
    assert metric(textfile, c.BACKUP_SIZE) > 0
    assert metric(textfile, c.BACKUP_DURATION) > 0
    assert metric(textfile, c.BACKUP_LAST_SUCCESS) <= metric(textfile, c.RESTORE_DRILL_LAST_RUN)


async def test_a_corrupted_backup_fails_the_drill_with_a_checksum_mismatch_and_a_nonzero_exit(
    source_url: str, backup_dir: Path, tmp_path: Path
) -> None:
    await add_user_with_tasks(source_url, ["soon damaged"])
    env = {"DATABASE_URL": source_url, "BACKUP_DIR": str(backup_dir)}
    assert todochat("backup", env=env, cwd=tmp_path).returncode == 0
    [dump] = backup_dir.glob("todochat-*.dump")
    data = bytearray(dump.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4] = bytes(b ^ 0xFF for b in data[middle : middle + 4])
    dump.write_bytes(bytes(data))

    drill = todochat("restore-drill", env=env, cwd=tmp_path)

    assert drill.returncode == 1
    assert "FAIL" in drill.stdout
    assert "checksum mismatch" in drill.stderr
    [record] = load_drills(backup_dir)
    assert record.outcome == "fail"
    assert not record.restored
    assert metric(backup_dir / "todochat_recovery.prom", c.RESTORE_DRILL_SUCCESS) == 0


def test_a_malformed_encryption_key_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        "BACKUP_DIR": str(tmp_path / "b"),
        "BACKUP_ENCRYPTION_KEY": "dG9vIHNob3J0",
    }

    result = todochat("backup", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "AES-256 needs 32" in result.stderr
    assert "openssl rand -base64 32" in result.stderr
    assert not (tmp_path / "b").exists()


def test_a_sqlite_database_url_is_refused_clearly(tmp_path: Path) -> None:
    result = todochat("backup", env={"DATABASE_URL": "sqlite:///todochat.db"}, cwd=tmp_path)

    assert result.returncode == 2
    assert "backups need PostgreSQL" in result.stderr


def test_an_unknown_tier_is_refused(tmp_path: Path) -> None:
    result = todochat("restore-drill", "--tier", "urgent", env={}, cwd=tmp_path)

    assert result.returncode == 2
    assert "unknown tier 'urgent'" in result.stderr
