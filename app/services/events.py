"""Events for the user's open tabs: written in the transaction of the change they describe, read by every
instance's event stream, so a change made through one instance reaches tabs connected to another."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import UserEvent

TASKS = "tasks"
REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One committed event, as the streams send it."""

    id: int
    user_id: uuid.UUID
    kind: str
    payload: dict[str, Any]


def publish(session: AsyncSession, *, user_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    """Add an event to the session's transaction; it is visible to the streams once that commits."""
    session.add(UserEvent(user_id=user_id, kind=kind, payload=payload))


def _stored(row: UserEvent) -> StoredEvent:
    return StoredEvent(id=row.id, user_id=row.user_id, kind=row.kind, payload=row.payload)


async def latest_event_id(*, session: AsyncSession) -> int:
    """The newest event's id (0 when there is none): a new poller starts after it."""
    latest: int | None = await session.scalar(select(func.max(UserEvent.id)))
    return latest or 0


async def events_after(*, session: AsyncSession, after_id: int, limit: int) -> list[StoredEvent]:
    """Every user's events with an id above `after_id`, oldest first: one query serves all of a process's streams."""
    rows = await session.scalars(select(UserEvent).where(UserEvent.id > after_id).order_by(UserEvent.id).limit(limit))
    return [_stored(row) for row in rows]


async def user_events_after(
    *, session: AsyncSession, user_id: uuid.UUID, after_id: int, limit: int
) -> list[StoredEvent]:
    """One user's events with an id above `after_id`, oldest first (a stream resuming from Last-Event-ID)."""
    rows = await session.scalars(
        select(UserEvent)
        .where(UserEvent.user_id == user_id, UserEvent.id > after_id)
        .order_by(UserEvent.id)
        .limit(limit)
    )
    return [_stored(row) for row in rows]
