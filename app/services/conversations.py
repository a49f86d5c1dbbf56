"""Conversation data functions: the one place that reads and writes conversations and their messages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.db.models import Conversation, Message, utcnow
from app.schemas.chat import ConversationPage, ConversationPublic, MessagePage, MessagePublic

TITLE_CHARS = 80


async def _owned(session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    # Another user's conversation answers exactly like a missing one.
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.user_id == user_id)
    )
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} not found.")
    return conversation


TITLE_WORDS = 8


def _title(message: str, now: datetime) -> str:
    """The first words and the date, so conversations that start alike ("hi", "show my tasks") stay apart."""
    words = message.split()
    line = " ".join(words[:TITLE_WORDS]) + (" \u2026" if len(words) > TITLE_WORDS else "")
    line = line if len(line) <= TITLE_CHARS - 10 else line[: TITLE_CHARS - 11].rstrip() + "\u2026"
    return f"{line} \u00b7 {now:%b} {now.day}"


@dataclass(frozen=True, slots=True)
class OpenedTurn:
    """A conversation with the person's new message stored, and the messages before it."""

    conversation: ConversationPublic
    history: list[MessagePublic]


async def open_turn(
    *, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID | None, message: str, history: int
) -> OpenedTurn:
    """Store the person's `message` in their conversation `conversation_id` (or a new one titled after it), with
    the last `history` messages before it; committed before returning.

    Three statements for an existing conversation (touch it, which also proves it is the user's; read its recent
    messages; insert the message), two for a new one, in one transaction.

    Raises:
        NotFound: the conversation does not exist or belongs to someone else.
    """
    now = utcnow()
    if conversation_id is None:
        conversation = Conversation(id=uuid.uuid4(), user_id=user_id, title=_title(message, now), created_at=now,
                                    updated_at=now)  # fmt: skip
        session.add(conversation)
        opened = ConversationPublic.model_validate(conversation)
        recent: list[MessagePublic] = []
    else:
        # Another user's conversation answers exactly like a missing one.
        touched = await session.scalar(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == user_id)
            .values(updated_at=now)
            .returning(Conversation)
        )
        if touched is None:
            raise NotFound(f"Conversation {conversation_id} not found.")
        opened = ConversationPublic.model_validate(touched)
        recent = await recent_messages(session=session, conversation_id=conversation_id, limit=history)
    session.add(Message(conversation_id=opened.id, role="user", content=message, created_at=now))
    await session.commit()
    return OpenedTurn(opened, recent)


async def add_reply(
    *,
    session: AsyncSession,
    conversation_id: uuid.UUID,
    content: str,
    tool_calls: list[dict[str, Any]] | None,
    cost_usd: float = 0.0,
) -> float:
    """Store the assistant's reply, with the tool calls it made, and touch its conversation, adding the turn's
    cost to its running cost: two statements, committed before returning. Returns the conversation's cost."""
    now = utcnow()
    session.add(
        Message(conversation_id=conversation_id, role="assistant", content=content, tool_calls=tool_calls,
                created_at=now)
    )  # fmt: skip
    running = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(updated_at=now, cost_usd=Conversation.cost_usd + cost_usd)
        .returning(Conversation.cost_usd)
    )
    await session.commit()
    return float(running or 0.0)


async def recent_messages(*, session: AsyncSession, conversation_id: uuid.UUID, limit: int) -> list[MessagePublic]:
    """The last `limit` messages of a conversation, oldest first."""
    if limit <= 0:
        return []
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return [MessagePublic.model_validate(m) for m in reversed(list(rows))]


async def list_conversations(
    *, session: AsyncSession, user_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> ConversationPage:
    """The user's conversations, most recently active first."""
    where = Conversation.user_id == user_id
    total = await session.scalar(select(func.count()).select_from(Conversation).where(where)) or 0
    rows = await session.scalars(
        select(Conversation)
        .where(where)
        .order_by(Conversation.updated_at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    return ConversationPage(
        items=[ConversationPublic.model_validate(c) for c in rows], total=total, limit=limit, offset=offset
    )


async def get_conversation(
    *, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> ConversationPublic:
    return ConversationPublic.model_validate(await _owned(session, user_id=user_id, conversation_id=conversation_id))


async def list_messages(
    *, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int = 100, offset: int = 0
) -> MessagePage:
    """A conversation's messages, oldest first."""
    await _owned(session, user_id=user_id, conversation_id=conversation_id)
    where = Message.conversation_id == conversation_id
    total = await session.scalar(select(func.count()).select_from(Message).where(where)) or 0
    rows = await session.scalars(
        select(Message).where(where).order_by(Message.created_at, Message.id).limit(limit).offset(offset)
    )
    return MessagePage(items=[MessagePublic.model_validate(m) for m in rows], total=total, limit=limit, offset=offset)


async def delete_conversation(*, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    """Delete a conversation and its messages."""
    await _owned(session, user_id=user_id, conversation_id=conversation_id)
    await session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
    await session.commit()
