"""Task data functions: the one place that reads and writes tasks, for REST routes and MCP tools alike.

Every write records a change (app.services.changes) in its own transaction, so it can be undone and announced.
Times are kept in UTC and shown in the user's zone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.db.models import Task, utcnow
from app.schemas.tasks import (
    TagCount,
    TaskCreate,
    TaskFilter,
    TaskPage,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
)
from app.services import changes
from app.services.task_fields import apply_fields, complete_now, skip_occurrence
from app.services.task_filters import conditions, ordered
from app.services.task_views import Days, to_public, user_zone

# Task ids are 32-bit integers in the database; a larger one cannot exist (and would be a driver error).
MAX_TASK_ID = 2**31 - 1


def _not_found(task_id: int) -> NotFound:
    return NotFound(f"Task {task_id} not found.")


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
    statement = ordered(select(Task, func.count().over().label("total")).where(*where), flt)
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
    statement = ordered(select(Task).where(*where), flt).limit(limit).with_for_update()
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
    tz: ZoneInfo | None = None,
) -> TaskPublic:
    """Add a task for the user (`tz`: their zone, when the caller has read it); committed when this returns."""
    idempotency_key = changes.scoped("created", idempotency_key)
    if (earlier := await changes.replayed(session, user_id=user_id, key=idempotency_key)) is not None:
        return TaskPublic.model_validate(earlier)
    tz = tz or await user_zone(session, user_id=user_id)
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
    idempotency_key = changes.scoped(f"updated:{task_id}", idempotency_key)
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
    idempotency_key = changes.scoped(f"deleted:{task_id}", idempotency_key)
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
