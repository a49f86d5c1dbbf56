"""Conversation data functions: the one place that reads and writes conversations and their messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select
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


async def open_conversation(
    *, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID | None, first_message: str
) -> ConversationPublic:
    """The user's conversation `conversation_id`, or a new one titled after its first message (not committed).

    Raises:
        NotFound: the conversation does not exist or belongs to someone else.
    """
    if conversation_id is not None:
        return ConversationPublic.model_validate(
            await _owned(session, user_id=user_id, conversation_id=conversation_id)
        )
    conversation = Conversation(user_id=user_id, title=_title(first_message, utcnow()))
    session.add(conversation)
    await session.flush()
    return ConversationPublic.model_validate(conversation)


async def add_message(
    *,
    session: AsyncSession,
    conversation_id: uuid.UUID,
    role: Literal["user", "assistant"],
    content: str,
    tool_calls: list[dict[str, Any]] | None = None,
) -> MessagePublic:
    """Store one message and touch its conversation, committed before returning."""
    message = Message(conversation_id=conversation_id, role=role, content=content, tool_calls=tool_calls)
    session.add(message)
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
    await session.commit()
    return MessagePublic.model_validate(message)


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
