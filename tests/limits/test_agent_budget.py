"""A chat session is limited by the chat quota, never by the tool calls its own turns make to /mcp/."""

from __future__ import annotations

from app.mcp.internal import AGENT_HEADER, agent_signature
from tests.chat.helpers import say, token_of
from tests.conftest import make_settings, signup
from tests.support import client_for, live

GENERAL_PER_MINUTE = 7
CHAT_PER_MINUTE = 6
# Eight tool calls over six turns, besides the connection's own requests: more than the user's MCP quota (7).
TURNS = [
    ("add a task to buy stamps", ["add_task"]),
    ("add a task to water the plants", ["add_task"]),
    ("mark the stamps task as complete", ["list_tasks", "complete_task"]),
    ("delete the plants task", ["list_tasks", "delete_task"]),
    ("add a task to call mom", ["add_task"]),
    ("what's pending?", ["list_tasks"]),
]


async def test_a_chat_session_is_limited_by_the_chat_quota_not_by_its_own_tool_calls(sqlite_url: str) -> None:
    with live(
        sqlite_url, rate_limit_per_minute=GENERAL_PER_MINUTE, rate_limit_chat_per_minute=CHAT_PER_MINUTE
    ) as server:
        async with client_for(server) as client:
            auth = await signup(client)
            client.cookies.clear()
            conversation_id = None
            for message, tools in TURNS:
                reply = await say(client, auth, message, conversation_id)
                conversation_id = reply["conversation_id"]
                assert [call["name"] for call in reply["tool_calls"]] == tools, reply
                assert all("error" not in call["result"] for call in reply["tool_calls"]), reply
            assert [t["title"] for t in reply["tool_calls"][0]["result"]["tasks"]] == ["Call mom"]

            r = await client.post("/api/v1/chat", json={"message": "what's pending?"}, headers=auth)
            assert r.status_code == 429, r.text
            assert "(chat)" in r.json()["error"]["message"]


async def test_only_the_services_own_signature_spares_the_mcp_quota(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url)
    with live(sqlite_url, rate_limit_per_minute=3) as server:
        async with client_for(server) as client:
            auth = await signup(client)
            client.cookies.clear()
            token = token_of(auth)
            headers = {**auth, "Accept": "application/json, text/event-stream"}
            ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}

            signed = {**headers, AGENT_HEADER: agent_signature(settings, token)}
            answers = [(await client.post("/mcp/", json=ping, headers=signed)).status_code for _ in range(5)]
            assert 429 not in answers, "signed agent requests do not spend the MCP quota"

            forged = {**headers, AGENT_HEADER: agent_signature(settings, token + "x")}
            answers = [(await client.post("/mcp/", json=ping, headers=forged)).status_code for _ in range(4)]
            assert 429 not in answers[:3]
            assert answers[3] == 429, "a signature made for another token counts like no signature"
