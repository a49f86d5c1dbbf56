"""The MCP server as an external client sees it: the official SDK client and the MCP Inspector CLI, with a token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.chat.helpers import tasks_of, token_of
from tests.conftest import make_settings, signup
from tests.support import LiveServer, unavailable

FILTERS = {"status", "query", "tags", "priority", "due", "due_before", "due_after"}
TOOLS = {
    "add_task": {"title", "description", "due", "priority", "tags", "recurrence", "remind", "idempotency_key"},
    "list_tasks": FILTERS | {"sort", "order", "limit"},
    "complete_task": {"task_id", "idempotency_key"},
    "delete_task": {"task_id", "idempotency_key"},
    "update_task": {
        "task_id", "title", "description", "completed", "due", "priority", "tags", "add_tags", "remove_tags",
        "recurrence", "remind", "skip_occurrence", "clear", "idempotency_key",
    },
    "bulk_update_tasks": FILTERS
    | {"action", "task_ids", "new_due", "new_priority", "new_tags", "confirm_token", "idempotency_key"},
    "undo_last_change": set(),
    "list_tags": set(),
}  # fmt: skip
INSPECTOR = "@modelcontextprotocol/inspector@2"


@asynccontextmanager
async def mcp_client(url: str, token: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def call(client: Client, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await client.call_tool(name, arguments)
    text = " ".join(getattr(block, "text", "") for block in result.content)
    return result.is_error, text if result.is_error else result.structured_content


async def test_an_external_mcp_client_lists_the_five_tools_and_uses_them(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert {name: set(t.input_schema["properties"]) for name, t in tools.items()} == TOOLS
        assert all(t.description and "\n" not in t.description for t in tools.values())
        assert all(t.output_schema for t in tools.values())

        error, added = await call(mcp, "add_task", {"title": "Renew passport", "description": "before June"})
        assert not error
        assert added["status"] == "created"
        assert added["title"] == "Renew passport"
        error, done = await call(mcp, "complete_task", {"task_id": added["task_id"]})
        assert not error
        assert (done["status"], done["completed"]) == ("completed", True)
        error, listed = await call(mcp, "list_tasks", {"status": "completed"})
        assert not error
        assert [t["task_id"] for t in listed["tasks"]] == [added["task_id"]]
        error, updated = await call(mcp, "update_task", {"task_id": added["task_id"], "title": "Renew passports"})
        assert not error
        assert updated["status"] == "updated"
        assert (await tasks_of(client, headers))[added["task_id"]]["title"] == "Renew passports"
        error, deleted = await call(mcp, "delete_task", {"task_id": added["task_id"]})
        assert not error
        assert deleted["status"] == "deleted"
        assert await tasks_of(client, headers) == {}


async def test_mcp_tool_errors_say_what_is_wrong(server: LiveServer, client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    async with mcp_client(server.url + "/mcp/", token_of(headers)) as mcp:
        error, text = await call(mcp, "complete_task", {"task_id": 987654})
        assert error
        assert text.endswith("Task 987654 not found.")
        error, text = await call(mcp, "complete_task", {"task_id": "abc"})
        assert error
        assert "task_id" in text
        error, text = await call(mcp, "add_task", {"title": "   "})
        assert error
        assert "title" in text
        error, text = await call(mcp, "update_task", {"task_id": 1})
        assert error
        assert "Nothing to change" in text


async def test_mcp_never_reaches_another_users_tasks(server: LiveServer, client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    intruder = await signup(client)
    secret = (await client.post("/api/v1/tasks", json={"title": "Secret plan"}, headers=owner)).json()["id"]
    before = (await tasks_of(client, owner))[secret]
    async with mcp_client(server.url + "/mcp/", token_of(intruder)) as mcp:
        for name, arguments in (
            ("complete_task", {"task_id": secret}),
            ("delete_task", {"task_id": secret}),
            ("update_task", {"task_id": secret, "title": "hacked"}),
        ):
            error, text = await call(mcp, name, arguments)
            assert error
            assert text.endswith(f"Task {secret} not found.")
        # A user id smuggled into the arguments is not a parameter of any tool, so it cannot choose the user.
        error, listed = await call(mcp, "list_tasks", {"status": "all", "user_id": "whoever"})
        assert error or listed["tasks"] == []
    assert (await tasks_of(client, owner))[secret] == before


async def test_mcp_without_a_valid_token_answers_401(server: LiveServer, client: httpx.AsyncClient) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream"}
    r = await client.post("/mcp/", json=ping, headers=accept)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = await client.post("/mcp/", json=ping, headers=accept | {"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    headers = await signup(client)
    await client.post("/api/v1/auth/logout", headers=headers)
    r = await client.post("/mcp/", json=ping, headers=accept | headers)
    assert r.status_code == 401


async def test_the_mcp_inspector_cli_lists_and_calls_tools_with_a_bearer_token(sqlite_url: str) -> None:
    # One database is enough here: this shows the wire protocol to a third-party client, not storage.
    with LiveServer.start(make_settings(sqlite_url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
            await _inspect(live, client)


async def _inspect(server: LiveServer, client: httpx.AsyncClient) -> None:
    npx = shutil.which("npx")
    if npx is None:
        unavailable("npx is not installed (the MCP Inspector CLI comes from the npm registry)")
    headers = await signup(client)
    base = [npx, "-y", INSPECTOR, "--cli", server.url + "/mcp/", "--transport", "http"]
    auth = ["--header", f"Authorization: {headers['Authorization']}"]
    env = os.environ | {"npm_config_update_notifier": "false", "npm_config_fund": "false"}

    def inspector(*args: str) -> dict[str, Any]:
        done = subprocess.run([*base, *args, *auth], capture_output=True, text=True, timeout=240, env=env, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        output: dict[str, Any] = json.loads(done.stdout)
        return output

    listed = inspector("--method", "tools/list")
    assert {t["name"] for t in listed["tools"]} == set(TOOLS)
    called = inspector(
        "--method", "tools/call", "--tool-name", "add_task", "--tool-arg", "title=Inspect the MCP server"
    )
    assert called["structuredContent"]["status"] == "created"
    assert [t["title"] for t in (await tasks_of(client, headers)).values()] == ["Inspect the MCP server"]
    # Each planning tool, called with the user's token by a client that is not ours.
    task_id = str(called["structuredContent"]["task_id"])
    updated = inspector(
        "--method", "tools/call", "--tool-name", "update_task", "--tool-arg", f"task_id={task_id}",
        "--tool-arg", "priority=high", "--tool-arg", 'tags=["work"]', "--tool-arg", "due=2030-01-15",
    )  # fmt: skip
    assert updated["structuredContent"]["priority"] == "high", updated
    assert updated["structuredContent"]["tags"] == ["work"]
    tags = inspector("--method", "tools/call", "--tool-name", "list_tags")
    assert tags["structuredContent"]["tags"] == [{"name": "work", "count": 1}]
    bulk = inspector(
        "--method", "tools/call", "--tool-name", "bulk_update_tasks", "--tool-arg", "action=complete",
        "--tool-arg", 'tags=["work"]',
    )  # fmt: skip
    assert bulk["structuredContent"]["status"] == "done"  # one match: no confirmation needed
    undone = inspector("--method", "tools/call", "--tool-name", "undo_last_change")
    assert undone["structuredContent"]["status"] == "undone"
    assert [t["completed"] for t in (await tasks_of(client, headers)).values()] == [False]
