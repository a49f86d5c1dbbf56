"""The WHERE and ORDER BY of a task filter: one translation for lists and bulk changes, on both databases."""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text

from app.db.models import Task
from app.schemas.tasks import (
    DueWindow,
    TaskFilter,
    TaskSort,
    TaskStatus,
)
from app.services.task_views import Days

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
_WORD = re.compile(r"[^\W_]+")


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


def ordered(statement: _S, flt: TaskFilter) -> _S:
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
