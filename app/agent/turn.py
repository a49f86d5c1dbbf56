"""One chat turn, stateless: load recent history, store the person's message, run the agent, store the reply.

The person's message is committed before the model runs, so a failed turn never loses what they typed, and
any replica (or a restarted process) can carry on a conversation from the database alone.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from functools import partial

from app.agent.loop import Emit, run_agent
from app.agent.types import ChatModel, Content, model_text, user_text
from app.mcp.client import connect_tools
from app.runtime import Runtime
from app.schemas.chat import ChatResponse, MessagePublic, ToolCall
from app.services import conversations
from telemetry import conventions as c
from telemetry.metrics import chat_messages, chat_turn_duration, chat_turns, chat_turns_in_flight, observe

MODEL_KEY = "chat_model"


@dataclass(frozen=True, slots=True)
class TurnInput:
    user_id: uuid.UUID
    token: str
    message: str
    conversation_id: uuid.UUID | None
    mcp_url: str


def chat_model(runtime: Runtime) -> ChatModel:
    model: ChatModel = runtime.extras[MODEL_KEY]
    return model


def _history(messages: list[MessagePublic]) -> list[Content]:
    return [user_text(m.content) if m.role == "user" else model_text(m.content) for m in messages if m.content]


async def begin_turn(runtime: Runtime, turn: TurnInput) -> tuple[uuid.UUID, list[Content]]:
    """Open (or create) the conversation, read its recent history and commit the person's message.

    Raises:
        NotFound: the conversation is not the user's.
    """
    async with runtime.sessions() as session:
        conversation = await conversations.open_conversation(
            session=session, user_id=turn.user_id, conversation_id=turn.conversation_id, first_message=turn.message
        )
        recent = await conversations.recent_messages(
            session=session, conversation_id=conversation.id, limit=runtime.settings.chat_history_messages
        )
        await conversations.add_message(
            session=session, conversation_id=conversation.id, role="user", content=turn.message
        )
    chat_messages.labels(**{c.LABEL_ROLE: "user"}).inc()
    return conversation.id, _history(recent)


async def run_turn(
    runtime: Runtime, turn: TurnInput, conversation_id: uuid.UUID, history: list[Content], emit: Emit | None = None
) -> ChatResponse:
    """Run the agent for a begun turn and store its reply.

    Raises:
        LLMUnavailable: the model could not answer; the person's message stays stored.
        ToolsUnavailable: the MCP server could not be reached.
    """
    settings = runtime.settings
    started = time.perf_counter()
    outcome = "error"
    chat_turns_in_flight.inc()
    try:
        result = await run_agent(
            model=chat_model(runtime),
            tools=partial(connect_tools, turn.mcp_url, turn.token, timeout_seconds=settings.gemini_timeout_seconds),
            history=history,
            message=turn.message,
            conversation_id=conversation_id,
            max_rounds=settings.agent_max_rounds,
            emit=emit,
        )
        calls = [ToolCall(**asdict(record)) for record in result.tool_calls]
        async with runtime.sessions() as session:
            await conversations.add_message(
                session=session,
                conversation_id=conversation_id,
                role="assistant",
                content=result.response,
                tool_calls=[call.model_dump() for call in calls] or None,
            )
        chat_messages.labels(**{c.LABEL_ROLE: "assistant"}).inc()
        outcome = "ok"
        return ChatResponse(conversation_id=conversation_id, response=result.response, tool_calls=calls)
    finally:
        chat_turns_in_flight.dec()
        chat_turns.labels(**{c.LABEL_OUTCOME: outcome}).inc()
        observe(chat_turn_duration, time.perf_counter() - started, **{c.LABEL_OUTCOME: outcome})
