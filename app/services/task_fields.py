"""Setting a task's planning fields: due dates, repeat rules, reminders, completion of an occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Task, TaskOccurrence
from app.services import dates, recurrence
from app.services.task_views import aware


def _reschedule_reminder(task: Task, tz: ZoneInfo) -> None:
    # A relative reminder follows its due date, and fires again for the new date.
    if task.remind_before is not None:
        task.remind_at = dates.remind_time(
            due_at=aware(task.due_at), all_day=task.all_day, rule=task.remind_before, tz=tz
        )
        task.reminded_at = None


def apply_fields(task: Task, fields: dict[str, Any], tz: ZoneInfo, now: datetime) -> None:
    """Set planning and text fields from a create or update's explicit fields (None clears an optional one)."""
    for name in ("title", "description"):
        if name in fields:
            setattr(task, name, fields[name])
    if "due_at" in fields:
        due = fields["due_at"]
        if due is None:
            task.due_at, task.all_day = None, False
        elif isinstance(due, datetime):
            task.due_at, task.all_day = dates.as_utc(due, tz), bool(fields.get("all_day"))
            if task.all_day:
                task.due_at = dates.local_midnight(due.astimezone(tz).date() if due.tzinfo else due.date(), tz)
        else:
            task.due_at, task.all_day = dates.local_midnight(due, tz), True
    elif fields.get("all_day") is not None and task.due_at is not None:
        task.all_day = bool(fields["all_day"])
        if task.all_day:
            task.due_at = dates.local_midnight(aware(task.due_at).astimezone(tz).date(), tz)  # type: ignore[union-attr]
    if "priority" in fields:
        task.priority = fields["priority"].level if fields["priority"] else None
    if "tags" in fields:
        task.tags = list(fields["tags"]) if fields["tags"] else None
    if "recurrence" in fields:
        task.recurrence = fields["recurrence"]
        if task.recurrence and task.due_at is None:
            # A repeating task without a date starts today (all day) at its first occurrence.
            first = recurrence.first_on_or_after(
                task.recurrence, dates.local_midnight(now.astimezone(tz).date(), tz), tz
            )
            task.due_at, task.all_day = first, True
    if "remind_before" in fields:
        task.remind_before = fields["remind_before"]
        if task.remind_before is None and "remind_at" not in fields:
            task.remind_at = None
    if "remind_at" in fields:
        task.remind_at, task.reminded_at = fields["remind_at"], None
        if fields["remind_at"] is not None:
            task.remind_before = None
    if "due_at" in fields or "remind_before" in fields or "recurrence" in fields:
        _reschedule_reminder(task, tz)


def complete_now(session: AsyncSession, task: Task, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Mark done; a repeating task records the occurrence and moves to its next one (returned)."""
    due = aware(task.due_at)
    if task.recurrence and due is not None:
        following = recurrence.next_after(task.recurrence, due, tz, not_before=now)
        if following is not None:
            session.add(TaskOccurrence(task_id=task.id, due_at=due, outcome="completed"))
            task.due_at = following
            _reschedule_reminder(task, tz)
            return following
    task.completed, task.completed_at = True, now
    return None


def skip_occurrence(session: AsyncSession, task: Task, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Move a repeating task to its next occurrence without marking this one done; None when the rule ended."""
    due = aware(task.due_at)
    if not task.recurrence or due is None:
        return None
    following = recurrence.next_after(task.recurrence, due, tz, not_before=now)
    session.add(TaskOccurrence(task_id=task.id, due_at=due, outcome="skipped"))
    if following is None:
        task.completed, task.completed_at = True, now
        return None
    task.due_at = following
    _reschedule_reminder(task, tz)
    return following
