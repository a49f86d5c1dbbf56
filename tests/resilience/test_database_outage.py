"""PostgreSQL stopped and started under a running task and chat load: no acknowledged write is lost.

This stops the machine's real PostgreSQL server for a few seconds (it is started again in `finally`).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import signup
from tests.support import client_for, live

OUTAGE_SECONDS = 3.0
RECOVERY_DEADLINE_SECONDS = 30.0


def _pg_ctl(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=True, timeout=60, capture_output=True)


def _wait_for_postgres(deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come back")


@dataclass
class Ledger:
    """What the clients were told: acknowledged task titles, and every status seen."""

    acknowledged: set[str] = field(default_factory=set)
    acknowledged_ids: set[int] = field(default_factory=set)  # tasks the assistant said it created
    acknowledged_turns: list[tuple[str, str]] = field(default_factory=list)  # (conversation id, message)
    statuses: Counter[int] = field(default_factory=Counter)
    missing_retry_after: int = 0
    transport_errors: Counter[str] = field(default_factory=Counter)


async def _task_writer(client: httpx.AsyncClient, auth: dict[str, str], ledger: Ledger, stop: asyncio.Event) -> None:
    for _ in range(100_000):
        if stop.is_set():
            return
        title = f"outage task {uuid.uuid4().hex[:12]}"
        try:
            r = await client.post("/api/v1/tasks", json={"title": title}, headers=auth)
        except httpx.HTTPError as err:
            ledger.transport_errors[type(err).__name__] += 1
            continue
        ledger.statuses[r.status_code] += 1
        if r.status_code == 201:
            ledger.acknowledged.add(title)
        elif r.status_code == 503 and "retry-after" not in r.headers:
            ledger.missing_retry_after += 1
        await asyncio.sleep(0.02)


async def _chatter(client: httpx.AsyncClient, auth: dict[str, str], ledger: Ledger, stop: asyncio.Event) -> None:
    for _ in range(100_000):
        if stop.is_set():
            return
        message = f"add a task to chat task {uuid.uuid4().hex[:12]}"
        try:
            r = await client.post("/api/v1/chat", json={"message": message}, headers=auth)
        except httpx.HTTPError as err:
            ledger.transport_errors[type(err).__name__] += 1
            continue
        ledger.statuses[r.status_code] += 1
        if r.status_code == 200:
            body = r.json()
            ledger.acknowledged_turns.append((body["conversation_id"], message))
            for call in body["tool_calls"]:
                if call["name"] == "add_task" and call["result"].get("status") == "created":
                    ledger.acknowledged_ids.add(int(call["result"]["task_id"]))
        elif r.status_code == 503 and "retry-after" not in r.headers:
            ledger.missing_retry_after += 1
        await asyncio.sleep(0.05)


async def _readiness_watch(client: httpx.AsyncClient, seen: list[tuple[float, int]], stop: asyncio.Event) -> None:
    for _ in range(100_000):
        if stop.is_set():
            return
        try:
            r = await client.get("/health/ready", timeout=5)
            seen.append((time.monotonic(), r.status_code))
        except httpx.HTTPError:
            seen.append((time.monotonic(), 0))
        await asyncio.sleep(0.2)


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_postgres_outage_under_load_loses_no_acknowledged_write_and_heals_without_a_restart(
    postgres_url: str,
) -> None:
    with live(postgres_url, rate_limit_enabled=False) as server:
        async with client_for(server) as client:
            auth = await signup(client)
            client.cookies.clear()
            ledger = Ledger()
            readiness: list[tuple[float, int]] = []
            stop = asyncio.Event()
            workers = [
                asyncio.create_task(_task_writer(client, auth, ledger, stop)),
                asyncio.create_task(_task_writer(client, auth, ledger, stop)),
                asyncio.create_task(_chatter(client, auth, ledger, stop)),
                asyncio.create_task(_readiness_watch(client, readiness, stop)),
            ]
            try:
                await asyncio.sleep(1.5)
                before_outage = sum(ledger.statuses.values())
                stopped_at = time.monotonic()
                await asyncio.to_thread(_pg_ctl, "stop")
                try:
                    await asyncio.sleep(OUTAGE_SECONDS)
                finally:
                    await asyncio.to_thread(_pg_ctl, "start")
                    await asyncio.to_thread(_wait_for_postgres, 60)
                restarted_at = time.monotonic()
                recovered_at = None
                deadline = restarted_at + RECOVERY_DEADLINE_SECONDS
                while time.monotonic() < deadline:
                    if readiness and readiness[-1][1] == 200 and readiness[-1][0] > restarted_at:
                        recovered_at = readiness[-1][0]
                        break
                    await asyncio.sleep(0.2)
                after_recovery = sum(ledger.statuses.values())
                await asyncio.sleep(1.5)
            finally:
                stop.set()
                await asyncio.gather(*workers, return_exceptions=True)
                if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode:
                    await asyncio.to_thread(_pg_ctl, "start")

            served_after_recovery = sum(ledger.statuses.values()) - after_recovery
            final = await client.post("/api/v1/tasks", json={"title": "after the outage"}, headers=auth)

    print(
        f"statuses {dict(ledger.statuses)}, transport errors {dict(ledger.transport_errors)}, "
        f"{len(ledger.acknowledged)} acknowledged tasks, {len(ledger.acknowledged_turns)} chat turns "
        f"({len(ledger.acknowledged_ids)} tasks created by chat); "
        f"readiness back {recovered_at - restarted_at if recovered_at else float('nan'):.1f}s after the restart "
        f"({restarted_at - stopped_at:.1f}s outage)"
    )
    assert before_outage > 0
    assert set(ledger.statuses) <= {200, 201, 503}, f"only successes and 503s: {ledger.statuses}"
    assert ledger.statuses[503] > 0, "the outage was noticed"
    assert ledger.missing_retry_after == 0, "every 503 says when to retry"
    assert any(status == 503 for t, status in readiness if stopped_at < t < restarted_at), "readiness failed"
    assert recovered_at is not None, f"readiness did not recover within {RECOVERY_DEADLINE_SECONDS}s"
    assert served_after_recovery > 0
    assert final.status_code == 201, final.text

    stored_titles, stored_ids, stored_messages = await _stored(postgres_url)
    lost = ledger.acknowledged - stored_titles
    assert not lost, f"{len(lost)} acknowledged tasks are missing: {sorted(lost)[:5]}"
    assert ledger.acknowledged_ids, "some chat turns created tasks"
    lost_ids = ledger.acknowledged_ids - stored_ids
    assert not lost_ids, f"{len(lost_ids)} tasks the assistant reported as created are missing"
    lost_turns = [(c, m) for c, m in ledger.acknowledged_turns if (c, m) not in stored_messages]
    assert not lost_turns, f"{len(lost_turns)} acknowledged chat messages are missing"


async def _stored(url: str) -> tuple[set[str], set[int], set[tuple[str, str]]]:
    dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, title FROM tasks")
        titles = {r["title"] for r in rows}
        ids = {r["id"] for r in rows}
        messages = {
            (str(r["conversation_id"]), r["content"])
            for r in await conn.fetch("SELECT conversation_id, content FROM messages WHERE role = 'user'")
        }
    finally:
        await conn.close()
    return titles, ids, messages
