"""Finding and running the PostgreSQL client tools (pg_dump, pg_restore) with bounded time."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from app.recovery.errors import RecoveryConfigError


def pg_tool(name: str, bin_dir: Path | None) -> str:
    """The path of a PostgreSQL client tool.

    Raises:
        RecoveryConfigError: the tool is not installed where we look.
    """
    found = shutil.which(name, path=str(bin_dir)) if bin_dir else shutil.which(name)
    if not found:
        where = f"in PG_BIN_DIR={bin_dir}" if bin_dir else "on PATH"
        raise RecoveryConfigError(
            f"{name} was not found {where}; install the PostgreSQL client matching the server's major version "
            "(Debian: apt-get install postgresql-client) or set PG_BIN_DIR"
        )
    return found


def tool_version(path: str) -> str:
    """`pg_dump --version` and friends, e.g. 'pg_dump (PostgreSQL) 15.20'."""
    result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603 - fixed tool path
    return result.stdout.strip()


def tool_env(extra: dict[str, str]) -> dict[str, str]:
    """The process environment plus libpq settings; never prompts for a password."""
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


@contextmanager
def watchdog(process: subprocess.Popen[bytes], timeout: float) -> Iterator[threading.Event]:
    """Kill `process` if it is still running after `timeout` seconds; the event says whether that happened."""
    fired = threading.Event()

    def kill() -> None:
        if process.poll() is None:
            fired.set()
            process.kill()

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


@contextmanager
def stderr_file() -> Iterator[IO[bytes]]:
    """A temporary file for a tool's stderr: unlike a pipe it cannot fill up and stall the tool."""
    with tempfile.TemporaryFile() as f:
        yield f


def tail(stream: IO[bytes], lines: int = 5) -> str:
    """The last lines a tool wrote to its stderr file."""
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(no message)"
