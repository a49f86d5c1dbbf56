"""Figures for backups and drills at a realistic size (prints, asserts nothing about speed).

TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m tests.recovery.bench_recovery
"""

from __future__ import annotations

import asyncio
import base64
import os
import resource
import sys
import tempfile
from pathlib import Path

from app.recovery.backup import run_backup
from app.recovery.drill import run_drill
from app.recovery.settings import RecoverySettings
from tests.recovery.conftest import connect
from tests.support import create_scratch_database, drop_scratch_database, migrate

USERS = 1_000
TASKS_PER_USER = 200


async def fill(url: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute(
            """INSERT INTO users (id, email, password_hash)
               SELECT gen_random_uuid(), 'user' || i || '@example.com', repeat('h', 97)
               FROM generate_series(1, $1) i""",
            USERS,
        )
        await conn.execute(
            """INSERT INTO tasks (user_id, title, description, completed)
               SELECT u.id, 'task ' || n || ' of ' || u.email, repeat('details ', 20), n % 3 = 0
               FROM users u, generate_series(1, $1) n""",
            TASKS_PER_USER,
        )
    finally:
        await conn.close()


async def main(server: str) -> None:
    url = await create_scratch_database(server)
    try:
        await asyncio.to_thread(migrate, url)
        await fill(url)
        with tempfile.TemporaryDirectory() as tmp:
            key = base64.b64encode(os.urandom(32)).decode()
            settings = RecoverySettings(database_url=url, backup_dir=Path(tmp), backup_encryption_key=key)
            backup = await run_backup(settings)
            drill = await run_drill(settings)
        rows = sum(t.rows for t in backup.tables.values())
        print(f"rows: {rows}, encrypted backup: {backup.size_bytes / 1e6:.1f} MB in {backup.duration_seconds:.2f} s")
        print(f"drill {drill.outcome}: RTO {drill.rto_seconds:.2f} s, phases {drill.phases_seconds}")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        await drop_scratch_database(server, url)


if __name__ == "__main__":
    asyncio.run(main(os.environ.get("TEST_DATABASE_URL") or sys.exit("set TEST_DATABASE_URL")))
