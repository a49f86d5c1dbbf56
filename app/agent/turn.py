"""One chat turn, stateless: load recent history, store the person's message, run the agent, store the reply.

The person's message is committed before the model runs, so a failed turn never loses what they typed, and
any replica (or a restarted process) can carry on a conversation from the database alone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass

import structlog

from app.agent.loop import Emit, run_agent
from app.agent.prompts import system_prompt
from app.agent.types import ChatModel, Content, model_text, user_text
from app.core.circuit import CircuitOpen
from app.core.errors import ToolsUnavailable
from app.db.models import utcnow
from app.mcp.client import TOOLS_UNAVAILABLE, McpTools, connect_tools
from app.mcp.internal import agent_headers
from app.mcp.local import connect_local_tools
from app.runtime import Runtime
from app.schemas.chat import ChatResponse, MessagePublic, ToolCall
from app.services import conversations
from app.services.task_views import user_zone, zone_named
from telemetry import conventions as c
from telemetry.metrics import (
    chat_messages,
    chat_turn_cost,
    chat_turn_duration,
    chat_turns,
    chat_turns_in_flight,
    observe,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TurnInput:
    user_id: uuid.UUID
    token: str
    message: str
    conversation_id: uuid.UUID | None
    mcp_url: str | None
    """None: the MCP server in this process, in memory."""
    timezone: str | None = None
    """The user's time zone name if authentication has just read it; else the turn reads it."""


def chat_model(runtime: Runtime) -> ChatModel:
    """The process's chat model; it exists while the chat components run."""
    if runtime.chat_model is None:
        raise RuntimeError("the chat components are not running")
    return runtime.chat_model


def _tools_refused(err: CircuitOpen) -> ToolsUnavailable:
    return ToolsUnavailable(TOOLS_UNAVAILABLE, headers={"Retry-After": str(err.retry_after)})


def _connection(runtime: Runtime, turn: TurnInput) -> AbstractAsyncContextManager[McpTools]:
    timeout = runtime.settings.gemini_timeout_seconds
    share = runtime.settings.mcp_share_output_validators
    if turn.mcp_url is None:
        if runtime.mcp_server is None:
            raise RuntimeError("no MCP server runs in this process")
        return connect_local_tools(
            runtime.mcp_server, user_id=turn.user_id, token=turn.token, timeout_seconds=timeout, share_validators=share
        )
    return connect_tools(
        turn.mcp_url,
        turn.token,
        partition=str(turn.user_id),
        timeout_seconds=timeout,
        headers=agent_headers(runtime.settings, turn.token),
        share_validators=share,
    )


@asynccontextmanager
async def _guarded_tools(runtime: Runtime, turn: TurnInput) -> AsyncIterator[McpTools]:
    """The turn's MCP connection behind the breaker: only an unreachable MCP server counts as a failure (anything
    else, the model failing mid-turn say, says nothing against the MCP server, which answered)."""
    async with (
        runtime.mcp_breaker.guard(verdict=lambda err: isinstance(err, ToolsUnavailable), refused=_tools_refused),
        _connection(runtime, turn) as tools,
    ):
        yield tools


def _history(messages: list[MessagePublic]) -> list[Content]:
    return [user_text(m.content) if m.role == "user" else model_text(m.content) for m in messages if m.content]


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a begun turn hands the agent: the conversation so far and the system prompt for this user."""

    history: list[Content]
    system: str


async def begin_turn(runtime: Runtime, turn: TurnInput) -> tuple[uuid.UUID, TurnContext]:
    """Open (or create) the conversation, read its recent history and commit the person's message.

    Raises:
        NotFound: the conversation is not the user's.
    """
    async with runtime.sessions() as session:
        zone = zone_named(turn.timezone) if turn.timezone else await user_zone(session, user_id=turn.user_id)
        opened = await conversations.open_turn(
            session=session,
            user_id=turn.user_id,
            conversation_id=turn.conversation_id,
            message=turn.message,
            history=runtime.settings.chat_history_messages,
        )
    chat_messages.labels(**{c.LABEL_ROLE: "user"}).inc()
    return opened.conversation.id, TurnContext(_history(opened.history), system_prompt(utcnow(), zone))


async def run_turn(
    runtime: Runtime, turn: TurnInput, conversation_id: uuid.UUID, context: TurnContext, emit: Emit | None = None
) -> ChatResponse:
    """Run the agent for a begun turn and store its reply.

    Raises:
        LLMUnavailable: the model could not answer; the person's message stays stored.
        ToolsUnavailable: the MCP server could not be reached.
    """
    with structlog.contextvars.bound_contextvars(conversation_id=str(conversation_id)):
        return await _run_turn(runtime, turn, conversation_id, context, emit)


async def _run_turn(
    runtime: Runtime, turn: TurnInput, conversation_id: uuid.UUID, context: TurnContext, emit: Emit | None
) -> ChatResponse:
    settings = runtime.settings
    started = time.perf_counter()
    outcome = "error"
    error_type: str | None = None
    cost: float | None = None
    running: float | None = None
    chat_turns_in_flight.inc()
    try:
        result = await run_agent(
            model=chat_model(runtime),
            tools=lambda: _guarded_tools(runtime, turn),
            history=context.history,
            system=context.system,
            message=turn.message,
            conversation_id=conversation_id,
            max_rounds=settings.agent_max_rounds,
            emit=emit,
        )
        cost = result.cost_usd
        observe(chat_turn_cost, cost)  # the turn's trace as exemplar: a dear turn opens its own trace
        calls = [ToolCall(**asdict(record)) for record in result.tool_calls]
        async with runtime.sessions() as session:
            running = await conversations.add_reply(
                session=session,
                conversation_id=conversation_id,
                content=result.response,
                tool_calls=[call.model_dump() for call in calls] or None,
                cost_usd=cost,
            )
        chat_messages.labels(**{c.LABEL_ROLE: "assistant"}).inc()
        outcome = "ok"
        return ChatResponse(conversation_id=conversation_id, response=result.response, tool_calls=calls)
    except BaseException as err:
        error_type = getattr(err, "error_type", None) or type(err).__name__
        raise
    finally:
        elapsed = time.perf_counter() - started
        chat_turns_in_flight.dec()
        chat_turns.labels(**{c.LABEL_OUTCOME: outcome}).inc()
        observe(chat_turn_duration, elapsed, **{c.LABEL_OUTCOME: outcome})
        log.info(
            "chat_turn",
            outcome=outcome,
            duration_ms=round(elapsed * 1000, 1),
            streamed=emit is not None,
            **({"cost_usd": round(cost, 8)} if cost is not None else {}),
            **({"conversation_cost_usd": round(running, 8)} if running is not None else {}),
            **({"error_type": error_type} if error_type else {}),
        )
