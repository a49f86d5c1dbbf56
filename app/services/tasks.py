"""Task data functions: the one place that reads and writes tasks, for REST routes and MCP tools alike."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.db.models import Task
from app.schemas.tasks import TaskCreate, TaskPage, TaskPublic, TaskStatus, TaskUpdate

# Task ids are 32-bit integers in the database; a larger one cannot exist (and would be a driver error).
MAX_TASK_ID = 2**31 - 1
_TASKS = Task.__table__
_PUBLIC_COLUMNS = [_TASKS.c[name] for name in TaskPublic.model_fields]


def _not_found(task_id: int) -> NotFound:
    return NotFound(f"Task {task_id} not found.")


async def _owned(session: AsyncSession, *, user_id: uuid.UUID, task_id: int) -> Task:
    # Another user's task answers exactly like a missing one: its existence is not revealed.
    if not 1 <= task_id <= MAX_TASK_ID:
        raise _not_found(task_id)
    task = await session.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise _not_found(task_id)
    return task


async def create_task(*, session: AsyncSession, user_id: uuid.UUID, data: TaskCreate) -> TaskPublic:
    """Add a task for the user; it is committed when this returns."""
    task = Task(user_id=user_id, **data.model_dump())
    session.add(task)
    await session.commit()
    return TaskPublic.model_validate(task)


async def list_tasks(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    status: TaskStatus = TaskStatus.all,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> TaskPage:
    """A page of the user's tasks, oldest first, filtered by status and by text in title or description."""
    params: dict[str, object] = {"user_id": user_id, "limit": limit, "offset": offset}
    if query:
        params["pattern"] = f"%{_escape_like(query.strip().lower())}%"
    rows = (await session.execute(_page_statement(status, bool(query)), params)).all()
    if rows:
        total = int(rows[0].total)
    else:
        # A page past the end carries no count; ask for it (rare: clients page forward from the start).
        total = (await session.execute(_count_statement(status, bool(query)), params)).scalar_one()
    return TaskPage(items=[TaskPublic.model_validate(row) for row in rows], total=total, limit=limit, offset=offset)


def _filters(status: TaskStatus, has_query: bool) -> list[ColumnElement[bool]]:
    # Core columns and bound parameters: the statements are built once per shape and reused, which spares
    # constructing and cache-keying a new statement on every request.
    where = [_TASKS.c.user_id == bindparam("user_id", type_=_TASKS.c.user_id.type)]
    if status is TaskStatus.pending:
        where.append(_TASKS.c.completed.is_(False))
    elif status is TaskStatus.completed:
        where.append(_TASKS.c.completed.is_(True))
    if has_query:
        pattern = bindparam("pattern", type_=_TASKS.c.title.type)
        where.append(
            or_(
                func.lower(_TASKS.c.title).like(pattern, escape="\\"),
                func.lower(func.coalesce(_TASKS.c.description, "")).like(pattern, escape="\\"),
            )
        )
    return where


@cache
def _page_statement(status: TaskStatus, has_query: bool) -> Select[*tuple[Any, ...]]:
    # One round trip: the window count rides along on every row of the page. Columns, not ORM objects: a page is
    # read, never changed, so identity-map bookkeeping would be wasted.
    return (
        select(*_PUBLIC_COLUMNS, func.count().over().label("total"))
        .where(*_filters(status, has_query))
        .order_by(_TASKS.c.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@cache
def _count_statement(status: TaskStatus, has_query: bool) -> Select[int]:
    return select(func.count()).select_from(_TASKS).where(*_filters(status, has_query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_task(*, session: AsyncSession, user_id: uuid.UUID, task_id: int) -> TaskPublic:
    """One of the user's tasks.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    return TaskPublic.model_validate(await _owned(session, user_id=user_id, task_id=task_id))


async def update_task(*, session: AsyncSession, user_id: uuid.UUID, task_id: int, data: TaskUpdate) -> TaskPublic:
    """Change the fields set in `data`; the others stay.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    task = await _owned(session, user_id=user_id, task_id=task_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(task, field, value)
    await session.commit()
    await session.refresh(task)
    return TaskPublic.model_validate(task)


async def delete_task(*, session: AsyncSession, user_id: uuid.UUID, task_id: int) -> TaskPublic:
    """Delete one of the user's tasks and return what it was.

    Raises:
        NotFound: no such task, or it belongs to someone else.
    """
    task = await _owned(session, user_id=user_id, task_id=task_id)
    public = TaskPublic.model_validate(task)
    await session.delete(task)
    await session.commit()
    return public
