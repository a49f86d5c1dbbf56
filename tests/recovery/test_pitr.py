"""Continuous WAL archiving and point-in-time restore with the scripts in deploy/backup, on a private cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "backup"


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


BIN = _bindir()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BIN is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"),
]
AS_DB_USER = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(*args: str | Path, check: bool = True) -> str:
    result = subprocess.run(
        [*AS_DB_USER, *map(str, args)], capture_output=True, text=True, timeout=60, check=False, cwd="/"
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({result.returncode}): {result.stderr}{result.stdout}")
    return result.stdout.strip()


def sql(port: int, query: str) -> str:
    assert BIN is not None
    return run(BIN / "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-tAc", query)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory the database user owns (pytest's tmp_path is private to the test runner)."""
    path = Path(tempfile.mkdtemp(prefix="todochat-pitr-"))
    if AS_DB_USER:
        shutil.chown(path, "postgres", "postgres")
    try:
        yield path
    finally:
        for data in ("data", "restored"):
            if (path / data / "postmaster.pid").exists():
                run(BIN / "pg_ctl", "-D", path / data, "-m", "immediate", "stop", check=False)  # type: ignore[operator]
        shutil.rmtree(path, ignore_errors=True)


def start(data: Path, port: int) -> None:
    assert BIN is not None
    run(BIN / "pg_ctl", "-D", data, "-l", data.parent / f"{data.name}.log", "-w", "-t", "60",
        "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {data.parent}", "start")  # fmt: skip


def wait_for(predicate: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_point_in_time_restore_brings_back_rows_up_to_the_target_and_not_after(workdir: Path) -> None:
    assert BIN is not None
    data, archive, base, restored = (workdir / n for n in ("data", "archive", "base", "restored"))
    run("mkdir", "-m", "700", archive)
    # The scripts run as the database user, who may not be able to reach a checkout in a private directory.
    scripts = workdir / "scripts"
    scripts.mkdir()
    for name in ("archive-wal.sh", "pitr-restore.sh"):
        shutil.copy2(SCRIPTS / name, scripts / name)
    if AS_DB_USER:
        for path in (scripts, *scripts.iterdir()):
            shutil.chown(path, "postgres", "postgres")
    run(BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\narchive_mode = on\nfsync = off\n"
            f"archive_command = '{scripts / 'archive-wal.sh'} %p %f {archive}'\n"
        )
    port = free_port()
    start(data, port)
    sql(port, "CREATE TABLE tasks (title text, created_at timestamptz DEFAULT clock_timestamp())")
    run(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-D", base, "-Fp")

    sql(port, "INSERT INTO tasks (title) VALUES ('before the mistake')")
    target = sql(port, "SELECT clock_timestamp()")
    time.sleep(1.1)
    sql(port, "INSERT INTO tasks (title) VALUES ('the mistake')")
    segment = sql(port, "SELECT pg_walfile_name(pg_current_wal_lsn())")
    sql(port, "SELECT pg_switch_wal()")
    # After three failed attempts PostgreSQL's archiver pauses for a minute before trying again: wait past that,
    # and show the server's log if the segment still has not arrived.
    try:
        wait_for(lambda: (archive / segment).exists(), f"WAL segment {segment} to be archived", seconds=90)
    except AssertionError as err:
        raise AssertionError(f"{err}\n{(workdir / 'data.log').read_text()[-4000:]}") from None
    run(BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")

    out = run(scripts / "pitr-restore.sh", "--base-backup", base, "--archive", archive,
              "--data-dir", restored, "--target-time", target)  # fmt: skip
    assert "prepared" in out
    restored_port = free_port()
    start(restored, restored_port)
    wait_for(lambda: sql(restored_port, "SELECT pg_is_in_recovery()") == "f", "recovery to finish and promote")

    assert sql(restored_port, "SELECT string_agg(title, ',') FROM tasks") == "before the mistake"
    log = (workdir / "restored.log").read_text()
    assert "recovery stopping before commit" in log
    run(BIN / "pg_ctl", "-D", restored, "-m", "fast", "-w", "stop")


def test_the_archive_command_refuses_to_overwrite_a_different_segment(workdir: Path) -> None:
    archive = workdir / "archive"
    archive.mkdir()
    segment = workdir / "000000010000000000000001"
    segment.write_bytes(b"first")
    script = str(SCRIPTS / "archive-wal.sh")

    first = subprocess.run([script, str(segment), segment.name, str(archive)], capture_output=True, text=True)
    again = subprocess.run([script, str(segment), segment.name, str(archive)], capture_output=True, text=True)
    segment.write_bytes(b"different")
    clash = subprocess.run([script, str(segment), segment.name, str(archive)], capture_output=True, text=True)

    assert first.returncode == 0
    assert again.returncode == 0
    assert clash.returncode == 1
    assert "refusing to overwrite" in clash.stderr
    assert (archive / segment.name).read_bytes() == b"first"
    assert not [p for p in archive.iterdir() if p.name.startswith(".")]
