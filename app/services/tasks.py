"""Task data functions: the one place that reads and writes tasks, for REST routes and MCP tools alike.

Every write records a change (app.services.changes) in its own transaction, so it can be undone and announced.
Times are kept in UTC and shown in the user's zone.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, InvalidInput, NotFound
from app.db.models import Task, TaskOccurrence, User, utcnow
from app.schemas.tasks import (
    PRIORITY_NAMES,
    DueState,
    DueWindow,
    TagCount,
    TaskCreate,
    TaskFilter,
    TaskPage,
    TaskPublic,
    TaskSort,
    TaskStatus,
    TaskUpdate,
)
from app.services import changes, dates, recurrence

# Task ids are 32-bit integers in the database; a larger one cannot exist (and would be a driver error).
MAX_TASK_ID = 2**31 - 1
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
_WORD = re.compile(r"[^\W_]+")


def _not_found(task_id: int) -> NotFound:
    return NotFound(f"Task {task_id} not found.")


async def user_zone(session: AsyncSession, *, user_id: uuid.UUID) -> ZoneInfo:
    """The user's time zone (UTC for a name this machine no longer knows)."""
    name = await session.scalar(select(User.timezone).where(User.id == user_id))
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


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_state(task: Task, days: Days) -> DueState | None:
    """Overdue, today or upcoming, in the user's zone; a completed task is never overdue."""
    due = _aware(task.due_at)
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
    due = _aware(task.due_at)
    remind = _aware(task.remind_at)
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


async def _owned(session: AsyncSession, *, user_id: uuid.UUID, task_id: int, lock: bool = False) -> Task:
    # Another user's task answers exactly like a missing one: its existence is not revealed.
    if not 1 <= task_id <= MAX_TASK_ID:
        raise _not_found(task_id)
    statement = select(Task).where(Task.id == task_id, Task.user_id == user_id, Task.deleted_at.is_(None))
    task = await session.scalar(statement.with_for_update() if lock else statement)
    if task is None:
        raise _not_found(task_id)
    return task


# Reading -------------------------------------------------------------------------------------------------------


def _search(dialect: str, words: list[str]) -> ColumnElement[bool]:
    if dialect == "postgresql":
        document = func.to_tsvector("english", Task.title + " " + func.coalesce(Task.description, ""))
        query = " & ".join(f"{w}:*" for w in words)
        return document.op("@@")(func.to_tsquery("english", query))
    fts = " ".join(f'"{w}"*' for w in words)
    matching = select(text("rowid")).select_from(text("tasks_fts")).where(text("tasks_fts MATCH :fts"))
    return Task.id.in_(matching.params(fts=fts))


def _has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    elements = (func.json_array_elements_text if dialect == "postgresql" else func.json_each)(Task.tags)
    values = elements.table_valued("value")
    return select(values.c.value).where(values.c.value == tag).exists()


def _due_window(window: DueWindow, days: Days) -> ColumnElement[bool]:
    due = Task.due_at
    if window is DueWindow.no_date:
        return due.is_(None)
    if window is DueWindow.overdue:
        return and_(
            Task.completed.is_(False),
            or_(and_(Task.all_day.is_(False), due < days.now), and_(Task.all_day.is_(True), due < days.today)),
        )
    bounds = {
        DueWindow.today: (days.today, days.tomorrow),
        DueWindow.tomorrow: (days.tomorrow, days.day_after),
        DueWindow.this_week: (days.today, days.next_week),
        DueWindow.next_week: (days.next_week, days.week_after),
        DueWindow.upcoming: (days.tomorrow, None),
    }
    start, end = bounds[window]
    return and_(due >= start, due < end) if end is not None else due >= start


def conditions(flt: TaskFilter, *, user_id: uuid.UUID, dialect: str, days: Days) -> list[ColumnElement[bool]]:
    """The WHERE clause of a filter, for lists and bulk changes alike."""
    where: list[ColumnElement[bool]] = [Task.user_id == user_id, Task.deleted_at.is_(None)]
    if flt.status is TaskStatus.pending:
        where.append(Task.completed.is_(False))
    elif flt.status is TaskStatus.completed:
        where.append(Task.completed.is_(True))
    words = _WORD.findall((flt.q or "").lower())[:10]
    if words:
        where.append(_search(dialect, words))
    elif flt.q and flt.q.strip():
        # No word to index: look for the symbols as typed.
        pattern = "%" + flt.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Task.title.like(pattern, escape="\\"), Task.description.like(pattern, escape="\\")))
    where.extend(_has_tag(dialect, tag) for tag in flt.tag)
    if flt.priority:
        where.append(Task.priority.in_([p.level for p in flt.priority]))
    if flt.due is not None:
        where.append(_due_window(flt.due, days))
    if flt.due_before is not None:
        where.append(Task.due_at < flt.due_before)
    if flt.due_after is not None:
        where.append(Task.due_at >= flt.due_after)
    return where


def _ordered(statement: _S, flt: TaskFilter) -> _S:
    desc = flt.order == "desc"
    if flt.sort is TaskSort.due:
        key = Task.due_at.desc() if desc else Task.due_at.asc()
        return statement.order_by(Task.due_at.is_(None), key, Task.id)
    if flt.sort is TaskSort.priority:
        rank = Task.priority.asc() if desc else Task.priority.desc()
        return statement.order_by(Task.priority.is_(None), rank, Task.due_at.is_(None), Task.due_at, Task.id)
    if flt.sort is TaskSort.alphabetical:
        name = func.lower(Task.title)
        return statement.order_by(name.desc() if desc else name, Task.id)
    return statement.order_by(Task.id.desc() if desc else Task.id)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def list_tasks(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    flt: TaskFilter | None = None,
    status: TaskStatus | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
    tz: ZoneInfo | None = None,
) -> TaskPage:
    """A page of the user's tasks matching the filter, in its order, with how many match in all."""
    flt = flt or TaskFilter(status=status or TaskStatus.all, q=query)
    tz = tz or await user_zone(session, user_id=user_id)
    days = Days.at(utcnow(), tz)
    where = conditions(flt, user_id=user_id, dialect=_dialect(session), days=days)
    # One round trip: the window count rides along on every row of the page.
    statement = _ordered(select(Task, func.count().over().label("total")).where(*where), flt)
    rows = (await session.execute(statement.limit(limit).offset(offset))).all()
    if rows:
        total = int(rows[0].total)
    else:
        # A page past the end carries no count; ask for it (rare: clients page forward from the start).
        total = (await session.execute(select(func.count()).select_from(Task).where(*where))).scalar_one()
    items = [to_public(row.Task, tz, days) for row in rows]
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


async def matching(
    session: AsyncSession, *, user_id: uuid.UUID, flt: TaskFilter, ids: list[int] | None, tz: ZoneInfo, limit: int
) -> list[Task]:
    """The user's tasks matching a filter (and among `ids`), locked for a change, at most `limit`."""
    where = conditions(flt, user_id=user_id, dialect=_dialect(session), days=Days.at(utcnow(), tz))
    if ids is not None:
        where.append(Task.id.in_(ids))
    statement = _ordered(select(Task).where(*where), flt).limit(limit).with_for_update()
    return list((await session.scalars(statement)).all())


async def get_task(*, session: AsyncSession, user_id: uuid.UUID, task_id: int) -> TaskPublic:
    """One of the user's tasks.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    tz = await user_zone(session, user_id=user_id)
    return to_public(await _owned(session, user_id=user_id, task_id=task_id), tz, Days.at(utcnow(), tz))


async def list_tags(*, session: AsyncSession, user_id: uuid.UUID) -> list[TagCount]:
    """The user's tags with how many live tasks carry each, most used first."""
    rows = await session.scalars(
        select(Task.tags).where(Task.user_id == user_id, Task.deleted_at.is_(None), Task.tags.is_not(None))
    )
    counts: dict[str, int] = {}
    for tags in rows:
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return [TagCount(name=n, count=c) for n, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


# Writing -------------------------------------------------------------------------------------------------------


def _reschedule_reminder(task: Task, tz: ZoneInfo) -> None:
    # A relative reminder follows its due date, and fires again for the new date.
    if task.remind_before is not None:
        task.remind_at = dates.remind_time(
            due_at=_aware(task.due_at), all_day=task.all_day, rule=task.remind_before, tz=tz
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
            task.due_at = dates.local_midnight(_aware(task.due_at).astimezone(tz).date(), tz)  # type: ignore[union-attr]
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
    due = _aware(task.due_at)
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
    due = _aware(task.due_at)
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


def describe(task: Task) -> str:
    return f"task #{task.id} '{task.title}'"


async def commit_change(session: AsyncSession, *, user_id: uuid.UUID, key: str | None) -> dict[str, Any] | None:
    """Commit; a concurrent call with the same idempotency key that won the race gives its answer instead."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        if key is None:
            raise
        return await changes.replayed(session, user_id=user_id, key=key)
    return None


async def create_task(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    data: TaskCreate,
    idempotency_key: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> TaskPublic:
    """Add a task for the user; it is committed when this returns."""
    if (earlier := await changes.replayed(session, user_id=user_id, key=idempotency_key)) is not None:
        return TaskPublic.model_validate(earlier)
    tz = await user_zone(session, user_id=user_id)
    now = utcnow()
    task = Task(user_id=user_id, title=data.title, description=data.description)
    apply_fields(task, data.model_dump(exclude_unset=True, exclude={"title", "description"}), tz, now)
    session.add(task)
    await session.flush()
    public = to_public(task, tz, Days.at(now, tz))
    changes.record(
        session,
        user_id=user_id,
        action="created",
        summary=f"Added {describe(task)}",
        before=[],
        after=[changes.snapshot(task)],
        result=public.model_dump(mode="json"),
        idempotency_key=idempotency_key,
        conversation_id=conversation_id,
    )
    if (raced := await commit_change(session, user_id=user_id, key=idempotency_key)) is not None:
        return TaskPublic.model_validate(raced)
    return public


@dataclass(frozen=True, slots=True)
class Updated:
    task: TaskPublic
    action: str
    next_due_at: datetime | None = None


def _update_action(fields: dict[str, Any], completed_now: bool) -> str:
    if completed_now:
        return "completed"
    if fields.get("completed") is False:
        return "reopened"
    return "updated"


async def update_task(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    task_id: int,
    data: TaskUpdate,
    skip: bool = False,
    idempotency_key: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> Updated:
    """Change the fields set in `data` (and skip a repeating task's occurrence with `skip`); the others stay.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    if (earlier := await changes.replayed(session, user_id=user_id, key=idempotency_key)) is not None:
        return Updated(TaskPublic.model_validate(earlier["task"]), earlier["action"], earlier.get("next_due_at"))
    tz = await user_zone(session, user_id=user_id)
    now = utcnow()
    task = await _owned(session, user_id=user_id, task_id=task_id, lock=True)
    if skip and not task.recurrence:
        raise Conflict(f"Task {task_id} doesn't repeat, so there is no occurrence to skip.")
    before = changes.snapshot(task)
    fields = data.model_dump(exclude_unset=True)
    apply_fields(task, fields, tz, now)
    next_due = None
    completing = fields.get("completed") is True and not task.completed
    if completing:
        next_due = complete_now(session, task, tz, now)
    elif fields.get("completed") is False:
        task.completed, task.completed_at = False, None
    if skip:
        next_due = skip_occurrence(session, task, tz, now)
    task.updated_at = now
    await session.flush()
    action = "skipped" if skip else _update_action(fields, completing)
    public = to_public(task, tz, Days.at(now, tz))
    verb = {"completed": "Completed", "reopened": "Reopened", "skipped": "Skipped an occurrence of"}
    result = {"task": public.model_dump(mode="json"), "action": action,
              "next_due_at": next_due.astimezone(tz).isoformat() if next_due else None}  # fmt: skip
    changes.record(
        session,
        user_id=user_id,
        action=action,
        summary=f"{verb.get(action, 'Updated')} {describe(task)}",
        before=[before],
        after=[changes.snapshot(task)],
        result=result,
        idempotency_key=idempotency_key,
        conversation_id=conversation_id,
    )
    if (raced := await commit_change(session, user_id=user_id, key=idempotency_key)) is not None:
        return Updated(TaskPublic.model_validate(raced["task"]), raced["action"], raced.get("next_due_at"))
    return Updated(public, action, next_due.astimezone(tz) if next_due else None)


async def delete_task(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    task_id: int,
    idempotency_key: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> TaskPublic:
    """Delete one of the user's tasks (undo can restore it for a day) and return what it was.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    if (earlier := await changes.replayed(session, user_id=user_id, key=idempotency_key)) is not None:
        return TaskPublic.model_validate(earlier)
    tz = await user_zone(session, user_id=user_id)
    now = utcnow()
    task = await _owned(session, user_id=user_id, task_id=task_id, lock=True)
    before = changes.snapshot(task)
    public = to_public(task, tz, Days.at(now, tz))
    task.deleted_at = now
    changes.record(
        session,
        user_id=user_id,
        action="deleted",
        summary=f"Deleted {describe(task)}",
        before=[before],
        after=[changes.snapshot(task)],
        result=public.model_dump(mode="json"),
        idempotency_key=idempotency_key,
        conversation_id=conversation_id,
    )
    if (raced := await commit_change(session, user_id=user_id, key=idempotency_key)) is not None:
        return TaskPublic.model_validate(raced)
    return public


async def undo(*, session: AsyncSession, user_id: uuid.UUID) -> tuple[str, str, list[TaskPublic]]:
    """Revert the user's latest change within the undo window: (action undone, its summary, the tasks now).

    Raises:
        NotFound: nothing to undo.
    """
    tz = await user_zone(session, user_id=user_id)
    change, tasks = await changes.undo_latest(session, user_id=user_id)
    await session.commit()
    days = Days.at(utcnow(), tz)
    return change.action, change.summary, [to_public(t, tz, days) for t in tasks if t.deleted_at is None]
