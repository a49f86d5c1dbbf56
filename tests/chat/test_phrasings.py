"""The phrasing table through real chat turns: offline model -> MCP tools -> database, on both databases.

Each row is checked by the task list afterwards (read through the REST API) and by the last reply.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.chat.helpers import say, tasks_of
from tests.chat.phrasings import ROWS, Row
from tests.conftest import signup


def _fill(text: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{([^{}]+)\}", lambda m: str(ids[m.group(1)]), text)


async def _setup(client: httpx.AsyncClient, headers: dict[str, str], row: Row) -> dict[str, int]:
    ids: dict[str, int] = {}
    for entry in row.setup:
        title = entry.removeprefix("x:")
        r = await client.post("/api/v1/tasks", json={"title": title}, headers=headers)
        assert r.status_code == 201, r.text
        ids[title] = r.json()["id"]
        if entry.startswith("x:"):
            r = await client.patch(f"/api/v1/tasks/{ids[title]}", json={"completed": True}, headers=headers)
            assert r.status_code == 200, r.text
    if row.zone:
        r = await client.patch("/api/v1/auth/me", json={"timezone": row.zone}, headers=headers)
        assert r.status_code == 200, r.text
    return ids


def _field_ok(task: dict[str, Any], name: str, value: Any, zone: str | None) -> bool:
    due = str(task.get("due_at") or "")
    if name == "due_day":  # days from today in the user's zone; answers carry the user's offset
        today = datetime.now(ZoneInfo(zone or "UTC")).date()
        return due.startswith((today + timedelta(days=int(value))).isoformat())
    if name == "due_time":
        return due[11:16] == value
    return bool(task.get(name) == value)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_a_phrasing_leaves_the_list_and_the_reply_as_a_person_expects(
    client: httpx.AsyncClient, row: Row
) -> None:
    headers = await signup(client)
    ids = await _setup(client, headers, row)
    conversation: str | None = None
    reply: dict[str, Any] = {}
    for message in row.messages:
        reply = await say(client, headers, _fill(message, ids), conversation)
        conversation = reply["conversation_id"]
        for task in (await tasks_of(client, headers)).values():
            ids.setdefault(task["title"], task["id"])
    tasks = list((await tasks_of(client, headers)).values())
    assert sorted(("x:" if t["completed"] else "") + t["title"] for t in tasks) == sorted(row.after), reply
    for words in row.reply:
        assert _fill(words, ids) in reply["response"], reply["response"]
    for title, expected in row.fields.items():
        task = next(t for t in tasks if t["title"] == title)
        for name, value in expected.items():
            assert _field_ok(task, name, value, row.zone), task


def test_the_table_has_at_least_150_distinct_phrasings() -> None:
    assert len({row.id for row in ROWS}) == len(ROWS) >= 150
