"""ORM rows. They never leave the data layer: routes and tools see the schemas in app.schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # An IANA zone name: relative dates, due windows and recurrences are worked out in it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_id_completed_id", "user_id", "completed", "id"),
        Index("ix_tasks_remind_at", "remind_at"),
        Index("ix_tasks_deleted_at", "deleted_at"),
        # AUTOINCREMENT: SQLite would otherwise hand a deleted task's number to the next one.
        {"sqlite_autoincrement": True},
    )

    # An integer id: people say "mark task 3 done", and the model passes it back to the tools.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    completed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 1 low .. 4 urgent, so that it sorts; the API names the levels.
    priority: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    recurrence: Mapped[str | None] = mapped_column(String(500))
    remind_at: Mapped[datetime | None]
    # A reminder relative to the due time (an ISO 8601 duration, or "evening_before"): it follows the due date.
    remind_before: Mapped[str | None] = mapped_column(String(40))
    reminded_at: Mapped[datetime | None]
    # Soft delete: undo can restore the task until the purge after the undo window.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())


class TaskOccurrence(Base):
    """One occurrence of a recurring task that was done or skipped."""

    __tablename__ = "task_occurrences"
    __table_args__ = (Index("ix_task_occurrences_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    due_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))  # "completed" or "skipped"
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class TaskChange(Base):
    """The change log undo reads: what one change did to which tasks, before and after."""

    __tablename__ = "task_changes"
    __table_args__ = (
        Index("ix_task_changes_user_id_id", "user_id", "id"),
        Index("uq_task_changes_user_id_idempotency_key", "user_id", "idempotency_key", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(400))
    before: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # What the call that made the change answered, so a retry with the same key gets the same answer.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    undone_at: Mapped[datetime | None]


class UserEvent(Base):
    """An event for the user's open tabs (a task change, a reminder), read by every instance's event stream."""

    __tablename__ = "user_events"
    __table_args__ = (Index("ix_user_events_created_at", "created_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_id_updated_at", "user_id", "updated_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())
    # Running list-price cost of the conversation's model calls, US dollars (app/agent/pricing.py)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256; tokens issued from one login share a family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # When the family's first login happened: the absolute session lifetime counts from here.
    session_started_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


# Search structures that live only in the migrations (PostgreSQL's expression index, SQLite's FTS5 table and its
# shadow tables): the model-versus-migration comparison leaves them out.
SEARCH_OBJECTS = ("tasks_fts", "ix_tasks_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: every schema object but the search structures is compared with the models."""
    return not (name or "").startswith(SEARCH_OBJECTS)
