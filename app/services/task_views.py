"""Tasks as people see them: times in their own zone, and whether a task is overdue, due today or upcoming."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidInput
from app.db.models import Task, User
from app.schemas.tasks import (
    PRIORITY_NAMES,
    DueState,
    TaskPublic,
)
from app.services import dates, recurrence


async def user_zone(session: AsyncSession, *, user_id: uuid.UUID) -> ZoneInfo:
    """The user's time zone (UTC for a name this machine no longer knows)."""
    return zone_named(await session.scalar(select(User.timezone).where(User.id == user_id)))


def zone_named(name: str | None) -> ZoneInfo:
    """A user's stored zone name as a zone (UTC for a name this machine no longer knows)."""
    try:
        return dates.zone(name or dates.DEFAULT_ZONE)
    except InvalidInput:
        return ZoneInfo("UTC")  # a zone dropped from tzdata must not lock the user out


@dataclass(frozen=True, slots=True)
class Days:
    """The local day boundaries a due window needs, in UTC."""

    now: datetime
    today: datetime
    tomorrow: datetime
    day_after: datetime
    next_week: datetime
    week_after: datetime

    @classmethod
    def at(cls, now: datetime, tz: ZoneInfo) -> Days:
        local = now.astimezone(tz).date()
        monday = local + timedelta(days=7 - local.weekday())
        day = dates.local_midnight
        return cls(
            now=now,
            today=day(local, tz),
            tomorrow=day(local + timedelta(days=1), tz),
            day_after=day(local + timedelta(days=2), tz),
            next_week=day(monday, tz),
            week_after=day(monday + timedelta(days=7), tz),
        )


def aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_state(task: Task, days: Days) -> DueState | None:
    """Overdue, today or upcoming, in the user's zone; a completed task is never overdue."""
    due = aware(task.due_at)
    if due is None:
        return None
    if due >= days.tomorrow:
        return "upcoming"
    late = due < days.today if task.all_day else due < days.now
    if late:
        return None if task.completed else "overdue"
    return "today" if due >= days.today else None


def to_public(task: Task, tz: ZoneInfo, days: Days) -> TaskPublic:
    """The task as the API shows it, its times in the user's zone."""
    due = aware(task.due_at)
    remind = aware(task.remind_at)
    return TaskPublic(
        id=task.id,
        title=task.title,
        description=task.description,
        completed=task.completed,
        completed_at=task.completed_at,
        due_at=due.astimezone(tz) if due else None,
        all_day=task.all_day,
        due_state=due_state(task, days),
        priority=PRIORITY_NAMES.get(task.priority) if task.priority else None,
        tags=list(task.tags or []),
        recurrence=task.recurrence,
        recurrence_text=recurrence.describe(task.recurrence) if task.recurrence else None,
        remind_at=remind.astimezone(tz) if remind else None,
        remind_before=task.remind_before,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )
