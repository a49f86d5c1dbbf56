"""Events for the user's open tabs: written in the transaction of the change they describe, read by every
instance's event stream, so a change made through one instance reaches tabs connected to another."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import UserEvent

TASKS = "tasks"
REMINDER = "reminder"


def publish(session: AsyncSession, *, user_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    """Add an event to the session's transaction; it is visible to the streams once that commits."""
    session.add(UserEvent(user_id=user_id, kind=kind, payload=payload))
