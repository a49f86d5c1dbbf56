"""Fixtures for backup and restore-drill tests: a migrated scratch source database per test, a backup directory."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from app.recovery.dsn import PostgresTarget
from app.recovery.settings import RecoverySettings
from tests.conftest import POSTGRES_URL
from tests.support import scratch_database, unavailable


@pytest.fixture
def source_url() -> Iterator[str]:
    """A scratch PostgreSQL database with the schema migrated, for one test."""
    if not POSTGRES_URL:
        unavailable("TEST_DATABASE_URL is not set (no PostgreSQL to test against)")
    with scratch_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def recovery_settings(source_url: str, backup_dir: Path) -> RecoverySettings:
    return make_recovery_settings(source_url, backup_dir)


def make_recovery_settings(database_url: str, backup_dir: Path, **overrides: object) -> RecoverySettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "backup_dir": backup_dir,
        "backup_encryption_key": None,
        "recovery_tier": "critical",
    }
    values.update(overrides)
    return RecoverySettings(_env_file=None, **values)  # type: ignore[call-arg]


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(PostgresTarget.from_database_url(url).asyncpg_dsn())


async def add_user_with_tasks(url: str, titles: list[str], *, created_at: datetime | None = None) -> None:
    """Write a user and their tasks the way the app stores them (server time unless `created_at` is given)."""
    conn = await connect(url)
    try:
        async with conn.transaction():
            user_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, 'x', coalesce($3, now()))",
                user_id,
                f"{user_id.hex[:12]}@example.com",
                created_at,
            )
            for title in titles:
                await conn.execute(
                    """INSERT INTO tasks (user_id, title, completed, created_at, updated_at)
                       VALUES ($1, $2, false, coalesce($3, now()), coalesce($3, now()))""",
                    user_id,
                    title,
                    created_at,
                )
    finally:
        await conn.close()


async def task_titles(url: str) -> list[str]:
    conn = await connect(url)
    try:
        return [r["title"] for r in await conn.fetch("SELECT title FROM tasks ORDER BY title")]
    finally:
        await conn.close()


async def database_exists(url: str, name: str | None) -> bool:
    """Whether a database of that name is on the server (a drill must drop its scratch database)."""
    assert name, "the drill recorded no scratch database"
    conn = await connect(url)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()
