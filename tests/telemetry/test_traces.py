"""One chat turn is one trace: HTTP server, invoke_agent, chat, execute_tool, MCP client, MCP server, SQL."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from app.core.config import Settings
from telemetry import conventions as c
from tests.conftest import make_settings, signup
from tests.support import LiveServer
from tests.telemetry.conftest import SpanRecorder
from tests.telemetry.processes import base_env, running
from tests.telemetry.receivers import OtlpReceiver, ReceivedSpan

BROWSER_SPAN_ID = "00f067aa0ba902b7"
MESSAGE = "add a task to renew my passport"


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def span_id(span: ReadableSpan) -> str:
    return _hex(span.context.span_id, 16)


def parent_id(span: ReadableSpan) -> str:
    return _hex(span.parent.span_id, 16) if span.parent is not None else ""


def wait_for_spans(recorder: SpanRecorder, done: Callable[[list[ReadableSpan]], bool]) -> list[ReadableSpan]:
    deadline = time.monotonic() + 10
    while not done(found := recorder.spans) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def one(spans: list[Any], what: str, predicate: Callable[[Any], bool]) -> Any:
    matches = [s for s in spans if predicate(s)]
    assert len(matches) == 1, f"expected one {what}, found {[s.name for s in matches]}"
    return matches[0]


def is_descendant(child_parent: str, ancestor: str, parents: dict[str, str]) -> bool:
    """Walk up from a parent id (bounded) looking for `ancestor`."""
    current = child_parent
    for _ in range(50):
        if current == ancestor:
            return True
        if current not in parents:
            return False
        current = parents[current]
    return False


async def chat_turn(client: httpx.AsyncClient, headers: dict[str, str], trace_id: str) -> dict[str, Any]:
    """One turn, sent as a browser would with a sampled `traceparent` starting trace `trace_id`."""
    traceparent = f"00-{trace_id}-{BROWSER_SPAN_ID}-01"
    response = await client.post(
        "/api/v1/chat", headers={**headers, "traceparent": traceparent}, json={"message": MESSAGE}, timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert [call["name"] for call in body["tool_calls"]] == ["add_task"], body
    return body


def assert_agent_tree(
    spans: list[ReadableSpan], conversation_id: str, trace_id: str, *, over_http: bool = False
) -> dict[str, Any]:
    """The API-side tree of one turn; returns the span the MCP side hangs from: the MCP client span when the
    turn reached its MCP server over HTTP, else (in memory, no transport to trace) the execute_tool span."""
    assert {_hex(s.context.trace_id, 32) for s in spans} == {trace_id}
    parents = {span_id(s): parent_id(s) for s in spans}

    server = one(spans, "HTTP server span", lambda s: s.kind == SpanKind.SERVER and parent_id(s) == BROWSER_SPAN_ID)
    assert server.name == "POST /api/v1/chat"
    assert server.attributes["http.route"] == "/api/v1/chat"
    assert server.attributes["http.response.status_code"] == 200

    agent = one(spans, "invoke_agent span", lambda s: s.name.startswith(c.SPAN_INVOKE_AGENT))
    assert is_descendant(parent_id(agent), span_id(server), parents)
    assert agent.attributes[c.ATTR_CONVERSATION_ID] == conversation_id

    chats = [s for s in spans if s.name.startswith(f"{c.SPAN_CHAT} ")]
    assert len(chats) >= 2, "a tool round and an answering round"
    for chat in chats:
        assert parent_id(chat) == span_id(agent)
        assert chat.kind == SpanKind.CLIENT
        assert chat.attributes[c.ATTR_OPERATION_NAME] == "chat"
        assert chat.attributes[c.ATTR_PROVIDER_NAME] in {c.PROVIDER_OFFLINE, c.PROVIDER_GEMINI}
        assert chat.name == f"chat {chat.attributes[c.ATTR_REQUEST_MODEL]}"
        assert chat.attributes[c.ATTR_INPUT_TOKENS] > 0
        assert chat.attributes[c.ATTR_OUTPUT_TOKENS] > 0
        assert len(chat.attributes[c.ATTR_FINISH_REASONS]) >= 1

    tool = one(spans, "execute_tool span", lambda s: s.name == f"{c.SPAN_EXECUTE_TOOL} add_task")
    assert parent_id(tool) == span_id(agent)
    assert tool.attributes[c.ATTR_TOOL_NAME] == "add_task"
    assert tool.attributes[c.ATTR_TOOL_CALL_ID]

    mcp_clients = [
        s for s in spans if s.kind == SpanKind.CLIENT and s.attributes.get("mcp.method.name") == "tools/call"
    ]
    assert len(mcp_clients) == (1 if over_http else 0), [s.name for s in mcp_clients]
    for mcp_client in mcp_clients:
        assert is_descendant(parent_id(mcp_client), span_id(tool), parents)

    # Message contents stay out of spans unless content capture is switched on.
    for span in spans:
        for value in span.attributes.values():
            assert "passport" not in str(value).lower(), f"{span.name} records message content"
    return {"parents": parents, "mcp_parent": mcp_clients[0] if mcp_clients else tool}


async def test_a_chat_turn_with_a_tool_call_is_one_trace_from_http_to_sql(
    spans: SpanRecorder, client: httpx.AsyncClient
) -> None:
    headers = await signup(client)
    trace_id = uuid.uuid4().hex
    body = await chat_turn(client, headers, trace_id)

    def complete(found: list[ReadableSpan]) -> bool:
        return any(s.kind == SpanKind.SERVER and s.attributes.get("http.route") == "/api/v1/chat" for s in found)

    turn = [s for s in wait_for_spans(spans, complete) if _hex(s.context.trace_id, 32) == trace_id]
    tree = assert_agent_tree(turn, body["conversation_id"], trace_id)
    parents = tree["parents"]

    mcp_server = one(
        turn,
        "MCP server span",
        lambda s: s.kind == SpanKind.SERVER and s.attributes.get("mcp.method.name") == "tools/call",
    )
    assert mcp_server.name == "tools/call add_task"
    assert is_descendant(parent_id(mcp_server), span_id(tree["mcp_parent"]), parents)
    # In memory: no loopback HTTP request, so no second server span for /mcp/ in the turn.
    assert [s.name for s in turn if s.kind == SpanKind.SERVER and "http.route" in s.attributes] == ["POST /api/v1/chat"]
    inserts = [s for s in turn if "INSERT INTO tasks" in str(s.attributes.get("db.statement", ""))]
    assert len(inserts) == 1
    assert is_descendant(parent_id(inserts[0]), span_id(mcp_server), parents)


@pytest.fixture
def standalone_mcp(settings: Settings, otlp_receiver: OtlpReceiver, tmp_path: Path) -> Any:
    env = base_env(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key.get_secret_value(),
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp_receiver.port}",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    with running(["mcp"], env, tmp_path / "mcp.log") as process:
        yield process


async def test_a_chat_turn_reaches_a_separate_mcp_server_process_in_the_same_trace(
    spans: SpanRecorder, settings: Settings, standalone_mcp: Any, otlp_receiver: OtlpReceiver
) -> None:
    api_settings = make_settings(settings.database_url, mcp_server_url=f"{standalone_mcp.url}/mcp/")
    with LiveServer.start(api_settings) as api:
        async with httpx.AsyncClient(base_url=api.url, timeout=60) as client:
            headers = await signup(client)
            trace_id = uuid.uuid4().hex
            body = await chat_turn(client, headers, trace_id)

            def complete(found: list[ReadableSpan]) -> bool:
                return any(
                    s.kind == SpanKind.SERVER and s.attributes.get("http.route") == "/api/v1/chat" for s in found
                )

            local = [s for s in wait_for_spans(spans, complete) if _hex(s.context.trace_id, 32) == trace_id]
    tree = assert_agent_tree(local, body["conversation_id"], trace_id, over_http=True)

    def mcp_sql_arrived(found: list[ReceivedSpan]) -> bool:
        return any(
            s.trace_id == trace_id and "INSERT INTO tasks" in str(s.attributes.get("db.statement", "")) for s in found
        )

    remote = [s for s in otlp_receiver.wait_for(mcp_sql_arrived) if s.trace_id == trace_id]
    assert remote, "no span of this turn arrived from the MCP process over OTLP"
    assert {s.service for s in remote} == {c.MCP_SERVICE_NAME}
    parents = {**tree["parents"], **{s.span_id: s.parent_span_id for s in remote}}

    mcp_server = one(
        remote, "MCP server span", lambda s: s.kind == 2 and s.attributes.get("mcp.method.name") == "tools/call"
    )
    assert mcp_server.name == "tools/call add_task"
    assert mcp_server.attributes["gen_ai.tool.name"] == "add_task"
    assert is_descendant(mcp_server.parent_span_id, span_id(tree["mcp_parent"]), parents)
    # Every span from the MCP process hangs from a span of the API process or of itself: one tree.
    assert all(s.parent_span_id in parents for s in remote)
    http_servers = [s for s in remote if s.kind == 2 and "http.route" in s.attributes]
    assert any(is_descendant(s.parent_span_id, span_id(tree["mcp_parent"]), parents) for s in http_servers), (
        "the MCP process opens an HTTP server span for the tool call too"
    )
    insert = one(remote, "SQL insert", lambda s: "INSERT INTO tasks" in str(s.attributes.get("db.statement", "")))
    assert is_descendant(insert.parent_span_id, mcp_server.span_id, parents)

    metrics = httpx.get(f"{standalone_mcp.url}/metrics", timeout=5).text
    assert f"{c.MCP_SERVER_OPERATION_DURATION}_count{{" in metrics
    assert os.path.exists(standalone_mcp.output)
