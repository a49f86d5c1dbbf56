"""The `todochat` entry point, run as a user runs it: a separate process configured by its environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port

TODOCHAT = Path(sys.executable).with_name("todochat")
TABLES = {"alembic_version", "users", "tasks", "conversations", "messages", "refresh_tokens"}


def environment(**values: str) -> dict[str, str]:
    """The current environment without any of the service's own settings, plus `values`."""
    own = {"APP_ENV", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "GEMINI_API_KEY", "MCP_SERVER_URL", "SENTRY_DSN"}
    env = {k: v for k, v in os.environ.items() if k not in own}
    env.update(values)
    return env


def test_migrate_creates_the_schema_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    result = subprocess.run(
        [str(TODOCHAT), "migrate"],
        cwd=tmp_path,
        env=environment(DATABASE_URL=f"sqlite:///{database}"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert tables >= TABLES
    assert revision == "0003"


def test_serve_refuses_to_start_in_production_with_the_default_secret_key(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(TODOCHAT), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment(APP_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode != 0
    assert "SECRET_KEY must be set to a random value of at least 32 characters" in stderr
    assert not (tmp_path / "prod.db").exists(), "nothing may be touched before the settings are accepted"


def _missing_database() -> str:
    server = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    return server.rsplit("/", 1)[0] + "/todochat_no_such_database"


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"]], ids=["migrate", "serve"])
def test_a_database_that_does_not_exist_is_named_in_one_line_and_a_nonzero_exit(
    tmp_path: Path, command: list[str]
) -> None:
    result = subprocess.run(
        [str(TODOCHAT), *command],
        cwd=tmp_path,
        env=environment(DATABASE_URL=_missing_database()),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "todochat: cannot connect to the database at postgresql+asyncpg://postgres@127.0.0.1:5432/"
        'todochat_no_such_database: database "todochat_no_such_database" does not exist'
    ], result.stderr
    assert result.stdout == ""


def test_a_database_server_that_is_not_listening_is_named_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql://postgres:a-password@127.0.0.1:{free_port()}/todochat"
    result = subprocess.run(
        [str(TODOCHAT), "migrate"],
        cwd=tmp_path,
        env=environment(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("todochat: cannot connect to the database at postgresql+asyncpg://postgres:***@127.0.0.1:")
    assert "a-password" not in result.stderr
