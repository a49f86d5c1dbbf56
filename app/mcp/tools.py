"""The five task tools. The user always comes from the request's bearer token, never from an argument."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError

from app.core.errors import NotFound
from app.mcp.auth import current_user_id
from app.runtime import Runtime
from app.schemas.tasks import TaskCreate, TaskPublic, TaskStatus, TaskUpdate
from app.services import tasks as task_service
from telemetry import conventions as c
from telemetry.metrics import mcp_server_operation_duration, observe

LIST_LIMIT = 100

TaskId = Annotated[int, Field(description="The task's number, as shown by list_tasks", ge=1)]


class TaskResult(BaseModel):
    """What a tool did to one task."""

    task_id: int
    status: Literal["created", "completed", "deleted", "updated"]
    title: str
    description: str | None = None
    completed: bool


class TaskItem(BaseModel):
    task_id: int
    title: str
    description: str | None = None
    completed: bool


class TaskList(BaseModel):
    """The matching tasks, oldest first, and how many matched in all."""

    tasks: list[TaskItem]
    total: int


def _result(task: TaskPublic, status: Literal["created", "completed", "deleted", "updated"]) -> TaskResult:
    return TaskResult(
        task_id=task.id, status=status, title=task.title, description=task.description, completed=task.completed
    )


def _invalid(err: ValidationError) -> ToolError:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()[:3])
    return ToolError(f"Invalid arguments: {problems}")


@contextmanager
def _measured(tool: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        observe(
            mcp_server_operation_duration,
            time.perf_counter() - started,
            **{c.LABEL_MCP_METHOD: "tools/call", c.LABEL_TOOL: tool, c.LABEL_OUTCOME: outcome},
        )


def register_task_tools(server: MCPServer, runtime: Callable[[], Runtime]) -> None:
    """Add the task tools to `server`; `runtime` gives the process's database sessions."""

    @server.tool()
    async def add_task(
        title: Annotated[str, Field(description="Short name of the task, e.g. 'Buy groceries'")],
        description: Annotated[str | None, Field(description="Optional details")] = None,
    ) -> TaskResult:
        """Create a new task for the user and return it with its task_id."""
        with _measured("add_task"):
            try:
                data = TaskCreate(title=title, description=description or None)
            except ValidationError as err:
                raise _invalid(err) from err
            async with runtime().sessions() as session:
                task = await task_service.create_task(session=session, user_id=current_user_id(), data=data)
            return _result(task, "created")

    @server.tool()
    async def list_tasks(
        status: Annotated[
            Literal["all", "pending", "completed"], Field(description="Which tasks: all, pending or completed")
        ] = "all",
        query: Annotated[str | None, Field(description="Only tasks whose title or description contains this")] = None,
    ) -> TaskList:
        """List the user's tasks with their task_id: all, pending or completed, optionally matching a text."""
        with _measured("list_tasks"):
            async with runtime().sessions() as session:
                page = await task_service.list_tasks(
                    session=session,
                    user_id=current_user_id(),
                    status=TaskStatus(status),
                    query=(query or "").strip()[:200] or None,
                    limit=LIST_LIMIT,
                )
            items = [
                TaskItem(task_id=t.id, title=t.title, description=t.description, completed=t.completed)
                for t in page.items
            ]
            return TaskList(tasks=items, total=page.total)

    @server.tool()
    async def complete_task(task_id: TaskId) -> TaskResult:
        """Mark one of the user's tasks as done."""
        with _measured("complete_task"):
            return _result(await _update(runtime, task_id, TaskUpdate(completed=True)), "completed")

    @server.tool()
    async def delete_task(task_id: TaskId) -> TaskResult:
        """Delete one of the user's tasks for good."""
        with _measured("delete_task"):
            try:
                async with runtime().sessions() as session:
                    task = await task_service.delete_task(session=session, user_id=current_user_id(), task_id=task_id)
            except NotFound as err:
                raise ToolError(err.message) from err
            return _result(task, "deleted")

    @server.tool()
    async def update_task(
        task_id: TaskId,
        title: Annotated[str | None, Field(description="New title")] = None,
        description: Annotated[str | None, Field(description="New description")] = None,
        completed: Annotated[bool | None, Field(description="True to mark done, false to reopen")] = None,
    ) -> TaskResult:
        """Change a task's title, description or done state; fields left out stay as they are."""
        with _measured("update_task"):
            changes = {
                k: v
                for k, v in {"title": title, "description": description, "completed": completed}.items()
                if v is not None
            }
            if not changes:
                raise ToolError("Nothing to change: give a new title, description or completed.")
            try:
                data = TaskUpdate(**changes)
            except ValidationError as err:
                raise _invalid(err) from err
            return _result(await _update(runtime, task_id, data), "updated")


async def _update(runtime: Callable[[], Runtime], task_id: int, data: TaskUpdate) -> TaskPublic:
    try:
        async with runtime().sessions() as session:
            return await task_service.update_task(
                session=session, user_id=current_user_id(), task_id=task_id, data=data
            )
    except NotFound as err:
        raise ToolError(err.message) from err
