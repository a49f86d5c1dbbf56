from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import CurrentUser, ReadSessionDep, SessionDep
from app.schemas.common import ERROR_RESPONSES
from app.schemas.tasks import TaskCreate, TaskPage, TaskPublic, TaskStatus, TaskUpdate
from app.services import tasks as task_service

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(data: TaskCreate, principal: CurrentUser, session: SessionDep) -> TaskPublic:
    """Add a task."""
    return await task_service.create_task(session=session, user_id=principal.user_id, data=data)


@router.get("")
async def list_tasks(
    principal: CurrentUser,
    session: ReadSessionDep,
    status: TaskStatus = TaskStatus.all,
    q: Annotated[str | None, Query(max_length=200, description="Text to find in title or description")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    """List tasks, oldest first, filtered by status and text."""
    return await task_service.list_tasks(
        session=session, user_id=principal.user_id, status=status, query=q, limit=limit, offset=offset
    )


@router.get("/{task_id}")
async def get_task(task_id: int, principal: CurrentUser, session: ReadSessionDep) -> TaskPublic:
    """One task."""
    return await task_service.get_task(session=session, user_id=principal.user_id, task_id=task_id)


@router.patch("/{task_id}")
async def update_task(task_id: int, data: TaskUpdate, principal: CurrentUser, session: SessionDep) -> TaskPublic:
    """Change a task's fields."""
    return await task_service.update_task(session=session, user_id=principal.user_id, task_id=task_id, data=data)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, principal: CurrentUser, session: SessionDep) -> Response:
    """Delete a task."""
    await task_service.delete_task(session=session, user_id=principal.user_id, task_id=task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
