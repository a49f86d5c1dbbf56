"""The everyday conversation every model must get right, checked against the database through the REST API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.chat.helpers import say, tasks_of


def _by_title(tasks: dict[int, dict[str, Any]], title: str) -> dict[str, Any]:
    matches = [t for t in tasks.values() if t["title"] == title]
    assert len(matches) == 1, f"expected one task titled {title!r} in {tasks}"
    return matches[0]


def _tools(reply: dict[str, Any]) -> list[str]:
    return [call["name"] for call in reply["tool_calls"]]


async def everyday_conversation(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """Every phrase people use for the five operations, one conversation; returns its id."""
    reply = await say(client, headers, "Add a task to buy groceries")
    conversation = reply["conversation_id"]
    assert _tools(reply) == ["add_task"]
    groceries = _by_title(await tasks_of(client, headers), "Buy groceries")
    assert f"#{groceries['id']}" in reply["response"]
    assert "Buy groceries" in reply["response"]

    reply = await say(client, headers, "I need to remember to pay bills", conversation)
    assert reply["conversation_id"] == conversation
    bills = _by_title(await tasks_of(client, headers), "Pay bills")
    assert "Pay bills" in reply["response"]

    await say(client, headers, "Please add a task to prepare the meeting agenda", conversation)
    meeting = _by_title(await tasks_of(client, headers), "Prepare the meeting agenda")

    reply = await say(client, headers, "Show me all my tasks", conversation)
    assert reply["tool_calls"][0]["arguments"].get("status", "all") == "all"
    for title in ("Buy groceries", "Pay bills", "Prepare the meeting agenda"):
        assert title in reply["response"]

    reply = await say(client, headers, f"Mark task {bills['id']} as complete", conversation)
    assert _tools(reply) == ["complete_task"]
    assert (await tasks_of(client, headers))[bills["id"]]["completed"] is True
    assert "Pay bills" in reply["response"]

    reply = await say(client, headers, "What's pending?", conversation)
    assert reply["tool_calls"][0]["arguments"]["status"] == "pending"
    assert "Buy groceries" in reply["response"]
    assert "Pay bills" not in reply["response"]

    reply = await say(client, headers, "What have I completed?", conversation)
    assert reply["tool_calls"][0]["arguments"]["status"] == "completed"
    assert "Pay bills" in reply["response"]
    assert "Buy groceries" not in reply["response"]

    reply = await say(client, headers, "Delete the meeting task", conversation)
    assert _tools(reply) == ["list_tasks", "delete_task"]
    assert reply["tool_calls"][1]["arguments"] == {"task_id": meeting["id"]}
    assert meeting["id"] not in await tasks_of(client, headers)
    assert "Prepare the meeting agenda" in reply["response"]

    reply = await say(client, headers, f"Change task {groceries['id']} to 'Call mom tonight'", conversation)
    assert _tools(reply) == ["update_task"]
    assert (await tasks_of(client, headers))[groceries["id"]]["title"] == "Call mom tonight"
    assert "Call mom tonight" in reply["response"]
    return conversation
