"""Due reminders, claimed once each across every worker, and the purge of rows past their windows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Task, TaskChange, UserEvent
from app.services import events

# Soft-deleted tasks and the change log stay as long as undo may need them; events only as long as a tab that
# lost its connection may come back for them with Last-Event-ID.
UNDO_WINDOW = timedelta(hours=24)
EVENTS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SentReminder:
    """A reminder this call claimed and published."""

    task_id: int
    user_id: uuid.UUID
    lateness_seconds: float
    late: bool


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    tasks: int
    task_changes: int
    user_events: int

    @property
    def total(self) -> int:
        return self.tasks + self.task_changes + self.user_events


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Task.remind_at <= now,
        Task.reminded_at.is_(None),
        Task.deleted_at.is_(None),
        Task.completed.is_(False),
    ]


async def count_due(*, session: AsyncSession, now: datetime) -> int:
    """How many reminders are due and not yet sent."""
    return int(await session.scalar(select(func.count()).select_from(Task).where(*_due(now))) or 0)


async def claim_due_reminders(
    *, session: AsyncSession, now: datetime, limit: int, late_after_seconds: float
) -> list[SentReminder]:
    """Mark up to `limit` due reminders sent and publish a `reminder` event for each, in one committed transaction.

    One UPDATE claims them: on PostgreSQL its subquery locks the rows with FOR UPDATE SKIP LOCKED, so workers
    running at once take disjoint batches and none waits on another; SQLite has one writer at a time, and the
    outer `reminded_at IS NULL` keeps a row claimed by a transaction that committed first from being sent again.
    """
    due = (
        select(Task.id)
        .where(*_due(now))
        .order_by(Task.remind_at, Task.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.execute(
        update(Task)
        .where(Task.id.in_(due.scalar_subquery()), Task.reminded_at.is_(None))
        # A reminder going out is not an edit of the task: its updated_at stays.
        .values(reminded_at=now, updated_at=Task.updated_at)
        .returning(Task.id, Task.user_id, Task.title, Task.due_at, Task.remind_at)
        .execution_options(synchronize_session=False)
    )
    sent: list[SentReminder] = []
    for task_id, user_id, title, due_at, remind_at in sorted(claimed.all(), key=lambda row: row[0]):
        remind_at = _aware(remind_at)
        assert remind_at is not None  # the WHERE clause picked only rows with one
        lateness = max(0.0, (now - remind_at).total_seconds())
        late = lateness > late_after_seconds
        due_at = _aware(due_at)
        payload: dict[str, Any] = {
            "task_id": task_id,
            "title": title,
            "due_at": due_at.isoformat() if due_at else None,
            "remind_at": remind_at.isoformat(),
            "late": late,
            "lateness_seconds": round(lateness, 3),
        }
        events.publish(session, user_id=user_id, kind=events.REMINDER, payload=payload)
        sent.append(SentReminder(task_id=task_id, user_id=user_id, lateness_seconds=lateness, late=late))
    await session.commit()
    return sent


async def purge_expired(*, session: AsyncSession, now: datetime, batch_size: int) -> PurgeCounts:
    """Delete at most `batch_size` rows of each kind past its window, and commit.

    Soft-deleted tasks and task changes older than the undo window; events older than the resume window.
    Bounded, so one run never holds long locks; the worker calls it again while batches come back full.
    """
    undo_cutoff = now - UNDO_WINDOW
    old_tasks = select(Task.id).where(Task.deleted_at < undo_cutoff).limit(batch_size)
    old_changes = select(TaskChange.id).where(TaskChange.created_at < undo_cutoff).limit(batch_size)
    old_events = select(UserEvent.id).where(UserEvent.created_at < now - EVENTS_WINDOW).limit(batch_size)
    counts = []
    for model, ids in ((Task, old_tasks), (TaskChange, old_changes), (UserEvent, old_events)):
        result = await session.execute(
            delete(model).where(model.id.in_(ids.scalar_subquery())).execution_options(synchronize_session=False)
        )
        counts.append(int(getattr(result, "rowcount", 0) or 0))
    await session.commit()
    return PurgeCounts(tasks=counts[0], task_changes=counts[1], user_events=counts[2])
