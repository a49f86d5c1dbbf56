from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from app.api.deps import CurrentUser, ReadSessionDep, SessionDep, SettingsDep
from app.schemas.common import ERROR_RESPONSES
from app.schemas.tasks import (
    BulkRequest,
    BulkResult,
    DueWindow,
    Priority,
    TagList,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskSort,
    TaskStatus,
    TaskUpdate,
    UndoResult,
    filter_from,
)
from app.services import bulk as bulk_service
from app.services import tasks as task_service

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES)
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Repeat a call safely: same key, same answer"),
]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(
    data: TaskCreate, principal: CurrentUser, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> TaskPublic:
    """Add a task."""
    return await task_service.create_task(
        session=session, user_id=principal.user_id, data=data, idempotency_key=idempotency_key
    )


@router.get("")
async def list_tasks(
    principal: CurrentUser,
    session: ReadSessionDep,
    status: TaskStatus = TaskStatus.all,
    q: Annotated[str | None, Query(max_length=200, description="Words to find in title or description")] = None,
    tag: Annotated[list[str] | None, Query(max_length=10, description="Tasks carrying every one of these tags")] = None,
    priority: Annotated[list[Priority] | None, Query(max_length=4, description="Any of these priorities")] = None,
    due: DueWindow | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    sort: TaskSort = TaskSort.created,
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    """List tasks matching a filter (status, words, tags, priorities, due window), in the order asked for."""
    flt = filter_from(
        status=status, q=q, tag=tag or [], priority=priority or [], due=due, due_before=due_before,
        due_after=due_after, sort=sort, order=order,
    )  # fmt: skip
    return await task_service.list_tasks(
        session=session, user_id=principal.user_id, flt=flt, limit=limit, offset=offset
    )


@router.get("/tags")
async def list_tags(principal: CurrentUser, session: ReadSessionDep) -> TagList:
    """The tags in use, with how many tasks carry each."""
    return TagList(tags=await task_service.list_tags(session=session, user_id=principal.user_id))


@router.post("/undo")
async def undo(principal: CurrentUser, session: SessionDep) -> UndoResult:
    """Take back the latest change (one task or many) made in the last 24 hours."""
    action, summary, tasks = await task_service.undo(session=session, user_id=principal.user_id)
    return UndoResult(action=action, summary=summary, tasks=tasks)


@router.post("/bulk")
async def bulk_update(
    data: BulkRequest,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> BulkResult:
    """Change every matching task: a preview with a confirmation token first when more than one matches."""
    return await bulk_service.bulk_update(
        session=session,
        user_id=principal.user_id,
        request=data,
        secret=settings.secret_key.get_secret_value(),
        idempotency_key=idempotency_key,
    )


@router.get("/{task_id}")
async def get_task(task_id: int, principal: CurrentUser, session: ReadSessionDep) -> TaskPublic:
    """One task."""
    return await task_service.get_task(session=session, user_id=principal.user_id, task_id=task_id)


@router.patch("/{task_id}")
async def update_task(task_id: int, data: TaskUpdate, principal: CurrentUser, session: SessionDep) -> TaskPublic:
    """Change a task's fields; completing a repeating task moves it to its next occurrence."""
    updated = await task_service.update_task(session=session, user_id=principal.user_id, task_id=task_id, data=data)
    return updated.task


@router.post("/{task_id}/skip")
async def skip_occurrence(task_id: int, principal: CurrentUser, session: SessionDep) -> TaskPublic:
    """Skip this occurrence of a repeating task: it moves to the next one without being marked done."""
    updated = await task_service.update_task(
        session=session, user_id=principal.user_id, task_id=task_id, data=TaskUpdate(), skip=True
    )
    return updated.task


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, principal: CurrentUser, session: SessionDep) -> Response:
    """Delete a task (undo restores it within 24 hours)."""
    await task_service.delete_task(session=session, user_id=principal.user_id, task_id=task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
