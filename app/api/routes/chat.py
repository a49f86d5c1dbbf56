"""Chat: one turn as JSON, or streamed as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.agent.loop import AgentEvent
from app.agent.turn import TurnInput, begin_turn, run_turn
from app.api.deps import CurrentUser, RuntimeDep
from app.api.errors import Failure, failure_of, failure_response
from app.core.config import Settings
from app.schemas.chat import ChatRequest, ChatResponse
from app.schemas.common import ERROR_RESPONSES

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/chat", tags=["chat"], responses=ERROR_RESPONSES)
_running: set[asyncio.Task[None]] = set()  # streamed turns finish (and store their reply) even if the client leaves

Event = tuple[str, "dict[str, Any] | Failure"] | None


def mcp_url(settings: Settings, request: Request) -> str | None:
    """MCP_SERVER_URL; None for the MCP server mounted here, reached in memory (or its loopback URL if so set)."""
    if settings.mcp_server_url:
        return settings.mcp_server_url
    if settings.mcp_local_transport == "memory":
        return None
    server = request.scope.get("server")
    port = server[1] if server and server[1] else (request.url.port or 80)
    return f"http://127.0.0.1:{port}/mcp/"


def _turn(data: ChatRequest, principal: CurrentUser, runtime: RuntimeDep, request: Request) -> TurnInput:
    return TurnInput(
        user_id=principal.user_id,
        token=principal.token,
        timezone=principal.timezone,
        message=data.message,
        conversation_id=data.conversation_id,
        mcp_url=mcp_url(runtime.settings, request),
    )


@router.post("")
async def chat(data: ChatRequest, principal: CurrentUser, runtime: RuntimeDep, request: Request) -> ChatResponse:
    """Send a message; the reply says what was done, with every tool call the assistant made."""
    turn = _turn(data, principal, runtime, request)
    conversation_id, history = await begin_turn(runtime, turn)
    return await run_turn(runtime, turn, conversation_id, history)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.post(
    "/stream",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "conversation, delta, tool_call, done events"}
    },
)
async def chat_stream(
    data: ChatRequest, principal: CurrentUser, runtime: RuntimeDep, request: Request
) -> StreamingResponse | JSONResponse:
    """Send a message and receive the reply as Server-Sent Events.

    Events: `conversation` {conversation_id}, `delta` {text}, `tool_call` {name, arguments, result},
    then `done` (the same body as POST /chat) or `error` {code, message}.
    """
    turn = _turn(data, principal, runtime, request)
    conversation_id, history = await begin_turn(runtime, turn)
    queue: asyncio.Queue[Event] = asyncio.Queue()

    async def emit(event: AgentEvent) -> None:
        await queue.put((event.kind, event.data))

    async def work() -> None:
        with structlog.contextvars.bound_contextvars(conversation_id=str(conversation_id)):
            await answer()

    async def answer() -> None:
        try:
            response = await run_turn(runtime, turn, conversation_id, history, emit=emit)
            await queue.put(("done", response.model_dump(mode="json")))
        except Exception as err:
            await queue.put(("error", failure_of(err)))
        finally:
            await queue.put(None)

    task = asyncio.create_task(work())
    _running.add(task)
    task.add_done_callback(_running.discard)
    first = await queue.get()
    if first is not None and isinstance(first[1], Failure):
        # Nothing was streamed yet, so the failure can still be a proper status code.
        return failure_response(request, first[1])

    async def events() -> AsyncIterator[str]:
        yield _sse("conversation", {"conversation_id": str(conversation_id)})
        item = first
        while item is not None:
            kind, data = item
            if isinstance(data, Failure):
                data = {"code": data.code, "message": data.message, "status": data.status_code}
            yield _sse(kind, data)
            item = await queue.get()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
