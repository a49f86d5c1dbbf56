"""Chat in the shapes it is deployed in: MCP server in its own process, and across a restart of the API."""

from __future__ import annotations

import httpx

from tests.chat.helpers import dropping_proxy, mcp_process, say, tasks_of
from tests.conftest import make_settings, signup
from tests.support import LiveServer


async def test_a_chat_turn_uses_the_mcp_server_running_in_its_own_process(database_url: str) -> None:
    base = make_settings(database_url)
    with mcp_process(base) as mcp_url, LiveServer.start(make_settings(database_url, mcp_server_url=mcp_url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            assert (await client.post("/mcp/", json={})).status_code in {404, 405}  # not mounted in the API
            ready = (await client.get("/health/ready")).json()
            assert ready["checks"]["mcp"]["status"] == "ok", ready

            headers = await signup(client)
            reply = await say(client, headers, "Add a task to file taxes")
            assert reply["tool_calls"][0]["result"]["status"] == "created"
            reply = await say(client, headers, "Mark the taxes task as done", reply["conversation_id"])
            assert [t["completed"] for t in (await tasks_of(client, headers)).values()] == [True]
    # With the MCP process gone, readiness says so and a turn fails clearly, keeping the message.
    with LiveServer.start(make_settings(database_url, mcp_server_url=mcp_url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["mcp"]["status"] == "fail"
            r = await client.post("/api/v1/chat", json={"message": "What's pending?"}, headers=headers)
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "tools_unavailable"


async def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(database_url: str) -> None:
    settings = make_settings(database_url)
    with LiveServer.start(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            first = await say(client, headers, "Add a task to pack for the trip")
            asked = await say(client, headers, "add a task", first["conversation_id"])
            assert "called" in asked["response"]
    with LiveServer.start(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            # The answer to the question asked before the restart is understood after it.
            reply = await say(client, headers, "buy sunscreen", first["conversation_id"])
            assert reply["conversation_id"] == first["conversation_id"]
            titles = sorted(t["title"] for t in (await tasks_of(client, headers)).values())
            assert titles == ["Buy sunscreen", "Pack for the trip"]
            r = await client.get(f"/api/v1/conversations/{first['conversation_id']}/messages", headers=headers)
            assert [m["content"] for m in r.json()["items"]][::2] == [
                "Add a task to pack for the trip",
                "add a task",
                "buy sunscreen",
            ]


async def test_a_mounted_mcp_server_is_reached_in_memory_unless_loopback_http_is_asked_for(database_url: str) -> None:
    def mcp_requests(metrics: str) -> float:
        # HTTP requests the server counted on its /mcp/ mount: the loopback path's, never the in-memory one's.
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("http_server_request_duration_seconds_count{") and 'http_route="/mcp' in line
        )

    for transport, over_http in (("memory", False), ("http", True)):
        settings = make_settings(database_url, mcp_local_transport=transport)
        with LiveServer.start(settings) as live:
            async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
                headers = await signup(client)
                # The metrics registry is the test process's: only what this turn adds counts.
                before = mcp_requests((await client.get("/metrics")).text)
                reply = await say(client, headers, f"Add a task to water the plants by {transport}")
                assert reply["tool_calls"][0]["result"]["status"] == "created"
                assert [t["title"] for t in (await tasks_of(client, headers)).values()] == [
                    f"Water the plants by {transport}"
                ]
                after = mcp_requests((await client.get("/metrics")).text)
        assert (after > before) is over_http, transport


async def test_turns_reach_an_mcp_server_of_its_own_over_one_kept_connection(database_url: str) -> None:
    with (
        LiveServer.start(make_settings(database_url)) as mcp_host,
        dropping_proxy(mcp_host.url, drops=0) as proxy,
        LiveServer.start(make_settings(database_url, mcp_server_url=f"{proxy.url}/mcp/")) as live,
    ):
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            reply = await say(client, headers, "Add a task to sort the mail")
            for words in ("Add a task to pay the gas bill", "What's pending?"):
                reply = await say(client, headers, words, reply["conversation_id"])
            assert len(await tasks_of(client, headers)) == 2
        # Three turns, each with its own token on its requests, through one TCP connection.
        assert proxy.forwarded == 1
