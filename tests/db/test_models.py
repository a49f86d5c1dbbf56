"""The data model on both databases: JSON tool calls round-trip, times come back in UTC, deletes cascade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import Conversation, Message, RefreshToken, Task, User
from app.services.task_views import Days, to_public

TOOL_CALLS = [{"name": "add_task", "arguments": {"title": "Renew passport"}, "result": {"task_id": 1, "ok": True}}]


async def test_a_conversations_messages_keep_role_content_and_tool_calls(db: AsyncEngine) -> None:
    async with AsyncSession(db, expire_on_commit=False) as session:
        user = User(email=f"m-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
        await session.flush()
        conversation = Conversation(user_id=user.id, title="Passport")
        session.add(conversation)
        await session.flush()
        session.add_all(
            [
                Message(conversation_id=conversation.id, role="user", content="add renew passport"),
                Message(conversation_id=conversation.id, role="assistant", content="Added.", tool_calls=TOOL_CALLS),
            ]
        )
        await session.commit()
        conversation_id = conversation.id

    async with AsyncSession(db) as session:
        rows = (
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)
            )
        ).all()
    assert [(m.role, m.content, m.tool_calls) for m in rows] == [
        ("user", "add renew passport", None),
        ("assistant", "Added.", TOOL_CALLS),
    ]


async def test_stored_times_come_back_as_utc_on_either_database(db: AsyncEngine) -> None:
    async with AsyncSession(db, expire_on_commit=False) as session:
        user = User(email=f"t-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
        await session.flush()
        task = Task(user_id=user.id, title="t")
        session.add(task)
        await session.commit()
        task_id = task.id
    async with AsyncSession(db) as session:
        stored = await session.get(Task, task_id)
        assert stored is not None
        public = to_public(stored, ZoneInfo("UTC"), Days.at(datetime.now(UTC), ZoneInfo("UTC")))
    assert public.created_at.utcoffset() is not None
    assert public.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - public.created_at).total_seconds()) < 300


async def test_deleting_a_user_deletes_their_tasks_conversations_messages_and_tokens(db: AsyncEngine) -> None:
    async with AsyncSession(db, expire_on_commit=False) as session:
        user = User(email=f"d-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
        await session.flush()
        conversation = Conversation(user_id=user.id)
        session.add_all([conversation, Task(user_id=user.id, title="t")])
        await session.flush()
        now = datetime.now(UTC)
        session.add_all(
            [
                Message(conversation_id=conversation.id, role="user", content="hi"),
                RefreshToken(
                    user_id=user.id,
                    token_hash=uuid.uuid4().hex,
                    family_id=uuid.uuid4(),
                    session_started_at=now,
                    expires_at=now,
                ),
            ]
        )
        await session.commit()
        user_id, conversation_id = user.id, conversation.id

    async with AsyncSession(db) as session:
        await session.delete(await session.get(User, user_id))
        await session.commit()

    async with db.connect() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(model).where(column == key))).scalar_one()
            for model, column, key in (
                (Task, Task.user_id, user_id),
                (Conversation, Conversation.user_id, user_id),
                (Message, Message.conversation_id, conversation_id),
                (RefreshToken, RefreshToken.user_id, user_id),
            )
        ]
    assert counts == [0, 0, 0, 0]
