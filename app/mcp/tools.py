"""The task tools. The user always comes from the request's bearer token, never from an argument.

Dates, reminders and repeat rules may be ISO 8601 / RRULE or everyday words; they are resolved here, in the
user's zone, so every model can pass what the person said.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError
from app.db.models import utcnow
from app.mcp.auth import current_user_id
from app.runtime import Runtime
from app.schemas.common import readable
from app.schemas.tasks import BulkRequest, DueWindow, TaskCreate, TaskFilter, TaskPublic, TaskSort, TaskUpdate
from app.services import bulk as bulk_service
from app.services import dates, recurrence
from app.services import tasks as task_service
from app.services.task_views import user_zone
from telemetry import conventions as c
from telemetry.metrics import mcp_server_operation_duration, observe

LIST_LIMIT = 100

TaskId = Annotated[int, Field(description="The task's number, as shown by list_tasks", ge=1)]
PriorityName = Literal["low", "medium", "high", "urgent"]
When = Annotated[str | None, Field(description="ISO 8601 (2026-12-24, 2026-12-24T17:00+01:00) or words ('friday 5pm')")]
Remind = Annotated[
    str | None, Field(description="'30 minutes before', 'the evening before', 'at due time', or a moment")
]
Repeat = Annotated[str | None, Field(description="RRULE (FREQ=WEEKLY;BYDAY=MO) or words ('every monday')")]
TagNames = Annotated[list[str] | None, Field(description="Tag names without '#', e.g. ['work', 'errands']")]
IdempotencyKey = Annotated[
    str | None, Field(description="Optional: the same key on a retried call returns the first result", max_length=200)
]
Clearable = Literal["due", "priority", "tags", "recurrence", "remind", "description"]


class TaskItem(BaseModel):
    task_id: int
    title: str
    description: str | None = None
    completed: bool
    due_at: str | None = None
    all_day: bool = False
    due_state: str | None = None
    priority: str | None = None
    tags: list[str] = []
    recurrence: str | None = None
    recurrence_text: str | None = None
    remind_at: str | None = None


class TaskResult(TaskItem):
    """What a tool did to one task."""

    status: Literal["created", "completed", "deleted", "updated"]
    next_due_at: str | None = None


class TaskList(BaseModel):
    """The matching tasks, in the order asked for, and how many matched in all."""

    tasks: list[TaskItem]
    total: int


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _item(task: TaskPublic) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_at": _iso(task.due_at),
        "all_day": task.all_day,
        "due_state": task.due_state,
        "priority": task.priority.value if task.priority else None,
        "tags": task.tags,
        "recurrence": task.recurrence,
        "recurrence_text": task.recurrence_text,
        "remind_at": _iso(task.remind_at),
    }


def _result(task: TaskPublic, status: str, next_due: datetime | str | None = None) -> TaskResult:
    next_text = next_due if isinstance(next_due, str) or next_due is None else next_due.isoformat()
    return TaskResult.model_validate(_item(task) | {"status": status, "next_due_at": next_text})


@contextmanager
def _tool(tool: str) -> Iterator[None]:
    """Measure one tool call and turn expected failures into tool errors the model can explain."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    except AppError as err:
        raise ToolError(err.message) from err
    except ValidationError as err:
        raise ToolError(readable(err.errors())) from err
    finally:
        observe(
            mcp_server_operation_duration,
            time.perf_counter() - started,
            **{c.LABEL_MCP_METHOD: "tools/call", c.LABEL_TOOL: tool, c.LABEL_OUTCOME: outcome},
        )


def _when(text: str | None, tz: ZoneInfo) -> dates.When | None:
    return dates.parse_when(text, tz, utcnow()) if text and text.strip() else None


def _planning(
    tz: ZoneInfo,
    *,
    due: str | None,
    priority: str | None,
    tags: list[str] | None,
    repeat: str | None,
    remind: str | None,
) -> dict[str, Any]:
    """Tool arguments in words or ISO turned into the schemas' fields."""
    fields: dict[str, Any] = {}
    if (when := _when(due, tz)) is not None:
        fields["due_at"], fields["all_day"] = when.at, when.all_day
    if priority:
        fields["priority"] = priority.strip().lower()
    if tags:
        fields["tags"] = tags
    if repeat and repeat.strip():
        fields["recurrence"] = recurrence.parse(repeat)
    if remind and remind.strip():
        reminder = dates.parse_reminder(remind, tz, utcnow())
        fields["remind_before" if reminder.before else "remind_at"] = reminder.before or reminder.at
    return fields


_CLEARED = {"due": "due_at", "priority": "priority", "tags": "tags", "recurrence": "recurrence",
            "remind": "remind_before", "description": "description"}  # fmt: skip


def _filter(
    tz: ZoneInfo,
    *,
    status: str,
    query: str | None,
    tags: list[str] | None,
    priority: list[PriorityName] | None,
    due: str | None,
    due_before: str | None,
    due_after: str | None,
    sort: str = "created",
    order: str = "asc",
) -> TaskFilter:
    before, after = _when(due_before, tz), _when(due_after, tz)
    return TaskFilter.model_validate(
        {
            "status": status,
            "q": (query or "").strip()[:200] or None,
            "tag": tags or [],
            "priority": priority or [],
            "due": due,
            "due_before": before.at if before else None,
            "due_after": after.at if after else None,
            "sort": sort,
            "order": order,
        }
    )


def register_task_tools(server: MCPServer, runtime: Callable[[], Runtime]) -> None:
    """Add the task tools to `server`; `runtime` gives the process's database sessions."""

    async def zone(session: AsyncSession) -> ZoneInfo:
        return await user_zone(session, user_id=current_user_id())

    @server.tool()
    async def add_task(
        title: Annotated[str, Field(description="Short name of the task, without the date words, e.g. 'Buy milk'")],
        description: Annotated[str | None, Field(description="Optional details")] = None,
        due: When = None,
        priority: PriorityName | None = None,
        tags: TagNames = None,
        recurrence: Repeat = None,
        remind: Remind = None,
        idempotency_key: IdempotencyKey = None,
    ) -> TaskResult:
        """Create a new task for the user, optionally with a due date, priority, tags, repeat rule and reminder."""
        with _tool("add_task"):
            async with runtime().sessions() as session:
                tz = await zone(session)
                fields = _planning(tz, due=due, priority=priority, tags=tags, repeat=recurrence, remind=remind)
                data = TaskCreate.model_validate({"title": title, "description": description or None, **fields})
                task = await task_service.create_task(
                    session=session, user_id=current_user_id(), data=data, idempotency_key=idempotency_key, tz=tz
                )
            return _result(task, "created")

    @server.tool()
    async def list_tasks(
        status: Annotated[
            Literal["all", "pending", "completed"], Field(description="Which tasks: all, pending or completed")
        ] = "all",
        query: Annotated[str | None, Field(description="Words to find in title or description")] = None,
        tags: Annotated[list[str] | None, Field(description="Only tasks with every one of these tags")] = None,
        priority: Annotated[list[PriorityName] | None, Field(description="Only tasks with one of these")] = None,
        due: Annotated[DueWindow | None, Field(description="Only tasks due in this window")] = None,
        due_before: When = None,
        due_after: When = None,
        sort: TaskSort = TaskSort.created,
        order: Literal["asc", "desc"] = "asc",
        limit: Annotated[int, Field(ge=1, le=LIST_LIMIT)] = LIST_LIMIT,
    ) -> TaskList:
        """List the user's tasks with their task_id, filtered by status, words, tags, priority or due window."""
        with _tool("list_tasks"):
            async with runtime().sessions() as session:
                tz = await zone(session)
                flt = _filter(
                    tz, status=status, query=query, tags=tags, priority=priority, due=due, due_before=due_before,
                    due_after=due_after, sort=sort, order=order,
                )  # fmt: skip
                page = await task_service.list_tasks(
                    session=session, user_id=current_user_id(), flt=flt, limit=limit, tz=tz
                )
            return TaskList(tasks=[TaskItem(**_item(t)) for t in page.items], total=page.total)

    @server.tool()
    async def complete_task(task_id: TaskId, idempotency_key: IdempotencyKey = None) -> TaskResult:
        """Mark one of the user's tasks as done; a repeating task moves on to its next occurrence."""
        with _tool("complete_task"):
            async with runtime().sessions() as session:
                done = await task_service.update_task(
                    session=session, user_id=current_user_id(), task_id=task_id,
                    data=TaskUpdate(completed=True), idempotency_key=idempotency_key,
                )  # fmt: skip
            return _result(done.task, "completed", done.next_due_at)

    @server.tool()
    async def delete_task(task_id: TaskId, idempotency_key: IdempotencyKey = None) -> TaskResult:
        """Delete one of the user's tasks (undo_last_change can bring it back within a day)."""
        with _tool("delete_task"):
            async with runtime().sessions() as session:
                task = await task_service.delete_task(
                    session=session, user_id=current_user_id(), task_id=task_id, idempotency_key=idempotency_key
                )
            return _result(task, "deleted")

    @server.tool()
    async def update_task(
        task_id: TaskId,
        title: Annotated[str | None, Field(description="New title")] = None,
        description: Annotated[str | None, Field(description="New description")] = None,
        completed: Annotated[bool | None, Field(description="True to mark done, false to reopen")] = None,
        due: When = None,
        priority: PriorityName | None = None,
        tags: Annotated[list[str] | None, Field(description="Replace all tags with these")] = None,
        add_tags: Annotated[list[str] | None, Field(description="Tags to add")] = None,
        remove_tags: Annotated[list[str] | None, Field(description="Tags to remove")] = None,
        recurrence: Repeat = None,
        remind: Remind = None,
        skip_occurrence: Annotated[bool, Field(description="Skip this occurrence of a repeating task")] = False,
        clear: Annotated[
            list[Clearable] | None, Field(description="Fields to empty, e.g. ['due'] or ['recurrence']")
        ] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> TaskResult:
        """Change a task: title, description, done state, due date, priority, tags, repeat rule or reminder."""
        with _tool("update_task"):
            async with runtime().sessions() as session:
                tz = await zone(session)
                fields = _planning(tz, due=due, priority=priority, tags=tags, repeat=recurrence, remind=remind)
                fields |= {k: v for k, v in {"title": title, "description": description, "completed": completed}.items()
                           if v is not None}  # fmt: skip
                fields |= {_CLEARED[name]: None for name in clear or []}
                if add_tags or remove_tags:
                    current = await task_service.get_task(session=session, user_id=current_user_id(), task_id=task_id)
                    base = fields.get("tags") or current.tags
                    removed = {t.strip().lstrip("#").lower() for t in remove_tags or []}
                    fields["tags"] = [t for t in [*base, *(add_tags or [])] if t.lstrip("#").lower() not in removed]
                if not fields and not skip_occurrence:
                    raise ToolError("Nothing to change: give a new title, due date, priority, tags or another field.")
                updated = await task_service.update_task(
                    session=session, user_id=current_user_id(), task_id=task_id,
                    data=TaskUpdate.model_validate(fields), skip=skip_occurrence, idempotency_key=idempotency_key,
                )  # fmt: skip
            status = "completed" if updated.action == "completed" else "updated"
            return _result(updated.task, status, updated.next_due_at)

    @server.tool()
    async def bulk_update_tasks(
        action: Literal["complete", "reopen", "delete", "add_tags", "remove_tags", "reschedule", "set_priority"],
        status: Literal["all", "pending", "completed"] = "all",
        query: Annotated[str | None, Field(description="Words to find in title or description")] = None,
        tags: Annotated[list[str] | None, Field(description="Only tasks with every one of these tags")] = None,
        priority: Annotated[list[PriorityName] | None, Field(description="Only tasks with one of these")] = None,
        due: Annotated[DueWindow | None, Field(description="Only tasks due in this window")] = None,
        due_before: When = None,
        due_after: When = None,
        task_ids: Annotated[list[int] | None, Field(description="Only these tasks")] = None,
        new_due: When = None,
        new_priority: PriorityName | None = None,
        new_tags: Annotated[list[str] | None, Field(description="Tags to add or remove")] = None,
        confirm_token: Annotated[
            str | None, Field(description="The token from the preview, once the user agreed")
        ] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Apply one change to every matching task; with several matches it first returns a preview and a token."""
        with _tool("bulk_update_tasks"):
            async with runtime().sessions() as session:
                tz = await zone(session)
                flt = _filter(
                    tz, status=status, query=query, tags=tags, priority=priority, due=due, due_before=due_before,
                    due_after=due_after,
                )  # fmt: skip
                when = _when(new_due, tz)
                request = BulkRequest.model_validate(
                    {
                        "action": action,
                        "filter": flt,
                        "task_ids": task_ids,
                        "tags": new_tags or None,
                        "due_at": when.at.astimezone(tz).date() if when and when.all_day else when.at if when else None,
                        "priority": new_priority,
                        "confirm_token": confirm_token,
                    }
                )
                result = await bulk_service.bulk_update(
                    session=session, user_id=current_user_id(), request=request,
                    secret=runtime().settings.secret_key.get_secret_value(), idempotency_key=idempotency_key,
                )  # fmt: skip
            answer = result.model_dump(mode="json", exclude={"tasks"}, exclude_none=True)
            return answer | {"tasks": [_item(t) for t in result.tasks[:LIST_LIMIT]]}

    @server.tool()
    async def undo_last_change() -> dict[str, Any]:
        """Take back the user's latest change to their tasks (one task or a bulk change) from the last 24 hours."""
        with _tool("undo_last_change"):
            async with runtime().sessions() as session:
                action, summary, tasks = await task_service.undo(session=session, user_id=current_user_id())
            return {"status": "undone", "action": action, "summary": summary, "tasks": [_item(t) for t in tasks]}

    @server.tool()
    async def list_tags() -> dict[str, Any]:
        """List the tags the user's tasks carry, with how many tasks have each."""
        with _tool("list_tags"):
            async with runtime().sessions() as session:
                tags = await task_service.list_tags(session=session, user_id=current_user_id())
            return {"tags": [t.model_dump() for t in tags]}
