"""Migrations: the real `alembic` command upgrades and downgrades both databases; models and migrations agree."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.models import Base, include_name
from tests.support import migrate

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = Path(sys.executable).with_name("alembic")
TABLES = {
    "users",
    "tasks",
    "conversations",
    "messages",
    "refresh_tokens",
    "task_changes",
    "task_occurrences",
    "user_events",
}


def alembic(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the real alembic command from the repository root, configured only through DATABASE_URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV", "SECRET_KEY"}}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [str(ALEMBIC), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def schema_of(database_url: str) -> dict[str, Any]:
    """Tables, with their index names, and the recorded alembic revision."""

    def read(conn: Connection) -> dict[str, Any]:
        inspector = inspect(conn)
        tables = {t: {ix["name"] for ix in inspector.get_indexes(t)} for t in inspector.get_table_names()}
        revision = MigrationContext.configure(conn).get_current_revision() if "alembic_version" in tables else None
        return {"tables": tables, "revision": revision}

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_alembic_upgrade_head_then_downgrade_base_from_the_repo_root(empty_database_url: str) -> None:
    up = alembic("upgrade", "head", database_url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after_up = await schema_of(empty_database_url)
    assert set(after_up["tables"]) >= TABLES
    assert after_up["revision"] == "0003"
    # The hot queries have their indexes: a user's tasks by status, a conversation's messages by time.
    assert "ix_tasks_user_id_completed_id" in after_up["tables"]["tasks"]
    assert "ix_messages_conversation_id_created_at" in after_up["tables"]["messages"]
    assert "ix_refresh_tokens_family_id" in after_up["tables"]["refresh_tokens"]

    down = alembic("downgrade", "base", database_url=empty_database_url)
    assert down.returncode == 0, down.stderr
    after_down = await schema_of(empty_database_url)
    assert set(after_down["tables"]) == {"alembic_version"}
    assert after_down["revision"] is None

    # And up again, in this process (the command itself has been shown to work).
    await asyncio.to_thread(migrate, empty_database_url)
    assert set((await schema_of(empty_database_url))["tables"]) >= TABLES


async def test_autogenerate_finds_no_difference_between_models_and_migrations(empty_database_url: str) -> None:
    # alembic's env runs its own event loop, so it runs in a worker thread here.
    await asyncio.to_thread(migrate, empty_database_url)

    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_async_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []


async def test_the_comparison_would_notice_a_model_the_migrations_lack(empty_database_url: str) -> None:
    """Guards the test above: on an empty database the comparison reports every table as missing."""

    def differences(conn: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    engine = create_async_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert {d[1].name for d in diff if d[0] == "add_table"} == TABLES
