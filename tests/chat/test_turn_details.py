"""What a chat turn leaves besides its reply: UTC times, honest finish reasons, its id in the logs, cached discovery."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from structlog.testing import capture_logs

from telemetry import conventions as c
from tests.chat.conftest import SpanLog
from tests.chat.helpers import say
from tests.conftest import signup


def is_utc(value: str) -> bool:
    return datetime.fromisoformat(value).utcoffset() == timedelta(0)


def wait_for(log: SpanLog, done: Callable[[list[ReadableSpan]], bool]) -> list[ReadableSpan]:
    deadline = time.monotonic() + 10
    while not done(found := log.spans) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def agent_span(spans: list[ReadableSpan], conversation_id: str) -> ReadableSpan | None:
    return next(
        (
            s
            for s in spans
            if s.name.startswith(c.SPAN_INVOKE_AGENT) and s.attributes.get(c.ATTR_CONVERSATION_ID) == conversation_id
        ),
        None,
    )


def mcp_methods(spans: list[ReadableSpan]) -> list[str]:
    # What the MCP server handled (its server spans): in memory there is no client span, over HTTP both.
    return [
        str(s.attributes["mcp.method.name"])
        for s in spans
        if s.kind == SpanKind.SERVER and s.attributes and "mcp.method.name" in s.attributes
    ]


async def test_conversation_and_message_times_are_utc_on_every_database(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    reply = await say(client, auth, "Add a task to buy stamps")
    conversation_id = reply["conversation_id"]

    page = (await client.get("/api/v1/conversations", headers=auth)).json()
    listed = next(item for item in page["items"] if item["id"] == conversation_id)
    one = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=auth)).json()
    messages = (await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=auth)).json()["items"]

    times = [listed["created_at"], listed["updated_at"], one["created_at"], one["updated_at"]]
    times += [m["created_at"] for m in messages]
    assert len(messages) == 2
    assert all(is_utc(value) for value in times), times


async def test_a_round_that_calls_tools_finishes_with_tool_call_and_the_answer_with_stop(
    client: httpx.AsyncClient, auth: dict[str, str], span_log: SpanLog
) -> None:
    reply = await say(client, auth, "Add a task to buy stamps")
    assert [call["name"] for call in reply["tool_calls"]] == ["add_task"]

    spans = wait_for(span_log, lambda found: agent_span(found, reply["conversation_id"]) is not None)
    agent = agent_span(spans, reply["conversation_id"])
    assert agent is not None
    rounds = sorted(
        (
            s
            for s in spans
            if s.name.startswith(f"{c.SPAN_CHAT} ")
            and s.parent is not None
            and s.parent.span_id == agent.context.span_id
        ),
        key=lambda s: s.start_time or 0,
    )
    assert [list(s.attributes[c.ATTR_FINISH_REASONS]) for s in rounds] == [["tool_call"], ["stop"]]


async def test_a_users_next_turn_skips_mcp_discovery_and_the_tool_listing(
    client: httpx.AsyncClient, auth: dict[str, str], span_log: SpanLog
) -> None:
    await say(client, auth, "Show me all my tasks")
    span_log.start()
    reply = await say(client, auth, "What's pending?")
    spans = wait_for(span_log, lambda found: agent_span(found, reply["conversation_id"]) is not None)
    assert mcp_methods(spans) == ["tools/call"], "discovery and the tool list come from this process's cache"

    # The tool list is the same for everyone (the server marks it public), and the tools still act per token.
    span_log.start()
    other = await signup(client)
    reply = await say(client, other, "What's pending?")
    spans = wait_for(span_log, lambda found: agent_span(found, reply["conversation_id"]) is not None)
    assert mcp_methods(spans) == ["tools/call"]
    assert reply["tool_calls"][0]["result"]["tasks"] == []


async def test_log_lines_inside_a_chat_turn_carry_its_conversation_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as entries:
            first = await say(client, auth, "Add a task to water the plants")
            r = await client.post(
                "/api/v1/chat/stream",
                json={"message": "What's pending?", "conversation_id": first["conversation_id"]},
                headers=auth,
            )
            assert r.status_code == 200
            second = await say(client, auth, "Show me all my tasks")
    finally:
        structlog.configure(wrapper_class=wrapper)

    turns: list[dict[str, Any]] = [e for e in entries if e["event"] == "chat_turn"]
    assert [(e.get("conversation_id"), e["streamed"]) for e in turns] == [
        (first["conversation_id"], False),
        (first["conversation_id"], True),
        (second["conversation_id"], False),
    ]
    # Bound for the turn only: the request's own line, written after the turn, does not carry it.
    requests = [e for e in entries if e["event"] == "request" and e.get("http_route") == "/api/v1/chat"]
    assert requests, "the request log line was written"
    assert all("conversation_id" not in e for e in requests)
