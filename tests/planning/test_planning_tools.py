"""The planning tools through a real MCP client over HTTP, with a user's token, on both databases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.chat.helpers import tasks_of, token_of
from tests.chat.test_mcp_server import call, mcp_client
from tests.conftest import signup
from tests.support import LiveServer


async def test_everyday_words_for_dates_reminders_and_repeats_are_resolved_in_the_users_zone(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    await client.patch("/api/v1/auth/me", json={"timezone": "America/Los_Angeles"}, headers=headers)
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        error, added = await call(
            mcp, "add_task",
            {"title": "Pick up dry cleaning", "due": "tomorrow at 5pm", "priority": "high", "tags": ["#Errands"],
             "remind": "30 minutes before"},
        )  # fmt: skip
        assert not error, added
    tomorrow = (datetime.now(ZoneInfo("America/Los_Angeles")) + timedelta(days=1)).date()
    due = datetime.fromisoformat(added["due_at"])
    assert (due.date(), due.hour, due.minute) == (tomorrow, 17, 0)
    assert due.utcoffset() == ZoneInfo("America/Los_Angeles").utcoffset(due.replace(tzinfo=None))
    assert datetime.fromisoformat(added["remind_at"]) == due - timedelta(minutes=30)
    assert (added["priority"], added["tags"], added["all_day"]) == ("high", ["errands"], False)


async def test_a_repeating_task_completed_through_the_tool_moves_on_and_says_when(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        _, added = await call(mcp, "add_task", {"title": "Water plants", "recurrence": "every monday"})
        assert added["recurrence_text"] == "every Monday"
        error, done = await call(mcp, "complete_task", {"task_id": added["task_id"]})
        assert not error, done
        assert (done["status"], done["completed"]) == ("completed", False)
        assert datetime.fromisoformat(done["next_due_at"]) > datetime.fromisoformat(added["due_at"])
        _, stopped = await call(mcp, "update_task", {"task_id": added["task_id"], "clear": ["recurrence"]})
        assert stopped["recurrence"] is None


async def test_a_retried_tool_call_with_the_same_key_adds_one_task(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    key = uuid.uuid4().hex
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        _, first = await call(mcp, "add_task", {"title": "Buy milk", "idempotency_key": key})
        _, second = await call(mcp, "add_task", {"title": "Buy milk", "idempotency_key": key})
    assert first["task_id"] == second["task_id"]
    assert len(await tasks_of(client, headers)) == 1


async def test_bulk_delete_through_the_tool_asks_first_and_undo_brings_everything_back(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        for title in ("One", "Two", "Three"):
            _, task = await call(mcp, "add_task", {"title": title, "tags": ["old"]})
        _, preview = await call(mcp, "bulk_update_tasks", {"action": "delete", "tags": ["old"]})
        assert (preview["status"], preview["count"]) == ("needs_confirmation", 3)
        assert len(await tasks_of(client, headers)) == 3
        _, done = await call(
            mcp, "bulk_update_tasks", {"action": "delete", "tags": ["old"], "confirm_token": preview["confirm_token"]}
        )
        assert (done["status"], done["count"]) == ("done", 3)
        assert await tasks_of(client, headers) == {}
        _, undone = await call(mcp, "undo_last_change", {})
        assert (undone["status"], undone["action"]) == ("undone", "bulk_delete")
        assert sorted(t["title"] for t in (await tasks_of(client, headers)).values()) == ["One", "Three", "Two"]
        error, text = await call(mcp, "update_task", {"task_id": task["task_id"], "due": "whenever-ish"})
        assert error
        assert "couldn't read 'whenever-ish' as a date" in text


async def test_the_planning_tools_never_reach_another_users_tasks(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    owner, intruder = await signup(client), await signup(client)
    secret = (await client.post("/api/v1/tasks", json={"title": "Secret", "tags": ["x"]}, headers=owner)).json()["id"]
    async with mcp_client(server.url + "/mcp/", token_of(intruder)) as mcp:
        error, text = await call(mcp, "update_task", {"task_id": secret, "skip_occurrence": True})
        assert error
        assert text.endswith(f"Task {secret} not found.")
        _, bulk = await call(mcp, "bulk_update_tasks", {"action": "delete", "task_ids": [secret]})
        assert bulk["count"] == 0
        _, tags = await call(mcp, "list_tags", {})
        assert tags == {"tags": []}
        error, text = await call(mcp, "undo_last_change", {})
        assert error
        assert "nothing to undo" in text
    assert (await tasks_of(client, owner))[secret]["title"] == "Secret"
