"""The change log: every task change is recorded with before and after snapshots, so it can be undone, replayed
for a retried call with the same idempotency key, and announced to the user's open tabs."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.db.models import Task, TaskChange, utcnow
from app.services import events

UNDO_WINDOW = timedelta(hours=24)
_SNAPSHOT_FIELDS = (
    "title", "description", "completed", "completed_at", "due_at", "all_day", "priority", "tags", "recurrence",
    "remind_at", "remind_before", "reminded_at", "deleted_at",
)  # fmt: skip
_MOMENTS = {"completed_at", "due_at", "remind_at", "reminded_at", "deleted_at"}


def snapshot(task: Task) -> dict[str, Any]:
    """What undo needs to put `task` back as it is now, JSON-safe."""
    state: dict[str, Any] = {"id": task.id}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(task, name)
        state[name] = value.isoformat() if isinstance(value, datetime) else value
    return state


def restore(task: Task, state: dict[str, Any]) -> None:
    """Put `task` back to a snapshot."""
    for name in _SNAPSHOT_FIELDS:
        value = state.get(name)
        setattr(task, name, datetime.fromisoformat(value) if name in _MOMENTS and value else value)


async def replayed(session: AsyncSession, *, user_id: uuid.UUID, key: str | None) -> dict[str, Any] | None:
    """The answer already given to a call with this idempotency key, if there was one."""
    if key is None:
        return None
    result: dict[str, Any] | None = await session.scalar(
        select(TaskChange.result).where(TaskChange.user_id == user_id, TaskChange.idempotency_key == key)
    )
    return result


def record(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    action: str,
    summary: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    result: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> TaskChange:
    """Add a change and its event to the session's transaction (committed by the caller)."""
    change = TaskChange(
        user_id=user_id,
        conversation_id=conversation_id,
        action=action,
        summary=summary[:400],
        before=before,
        after=after,
        result=result,
        idempotency_key=idempotency_key,
    )
    session.add(change)
    task_ids = sorted({s["id"] for s in before} | {s["id"] for s in after})
    events.publish(
        session,
        user_id=user_id,
        kind=events.TASKS,
        payload={"action": action, "task_ids": task_ids, "summary": summary},
    )
    return change


async def undo_latest(session: AsyncSession, *, user_id: uuid.UUID) -> tuple[TaskChange, list[Task]]:
    """Revert the user's latest change not yet undone, within the undo window (not committed).

    Raises:
        NotFound: there is no such change.
    """
    now = utcnow()
    change = await session.scalar(
        select(TaskChange)
        .where(
            TaskChange.user_id == user_id, TaskChange.undone_at.is_(None), TaskChange.created_at >= now - UNDO_WINDOW
        )
        .order_by(TaskChange.id.desc())
        .limit(1)
        .with_for_update()
    )
    if change is None:
        raise NotFound("There is nothing to undo: no change in the last 24 hours is left to take back.")
    before = {s["id"]: s for s in change.before}
    ids = sorted(set(before) | {s["id"] for s in change.after})
    tasks = list((await session.scalars(select(Task).where(Task.user_id == user_id, Task.id.in_(ids)))).all())
    for task in tasks:
        if task.id in before:
            restore(task, before[task.id])
        else:
            task.deleted_at = now  # it was added by the change: undoing the add removes it
    change.undone_at = now
    events.publish(
        session,
        user_id=user_id,
        kind=events.TASKS,
        payload={"action": "undo", "task_ids": ids, "summary": f"Undid: {change.summary}"},
    )
    return change, tasks
