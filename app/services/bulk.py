"""Bulk changes: one action on every task matching a filter, previewed and confirmed with a signed token first.

The token binds the user, the action with its values, the filter and the previewed task ids, and lasts five
minutes; it is good once (its id becomes the change's idempotency key), so a replay answers what was done.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, InvalidInput
from app.db.models import Task, utcnow
from app.schemas.tasks import BulkRequest, BulkResult, TaskPublic
from app.services import changes, tasks

CONFIRM_SECONDS = 300
MAX_TASKS = 500
_AUDIENCE = "todochat:bulk-change"
_VERBS = {
    "complete": "Complete", "reopen": "Reopen", "delete": "Delete", "add_tags": "Tag", "remove_tags": "Untag",
    "reschedule": "Reschedule", "set_priority": "Set the priority of",
}  # fmt: skip
_DONE = {
    "complete": "Completed", "reopen": "Reopened", "delete": "Deleted", "add_tags": "Tagged", "remove_tags": "Untagged",
    "reschedule": "Rescheduled", "set_priority": "Set the priority of",
}  # fmt: skip


def _fingerprint(request: BulkRequest) -> str:
    what = request.model_dump(mode="json", exclude={"confirm_token"})
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _token(secret: str, *, user_id: uuid.UUID, request: BulkRequest, ids: list[int]) -> str:
    claims = {
        "sub": str(user_id),
        "aud": _AUDIENCE,
        "what": _fingerprint(request),
        "ids": ids,
        "jti": uuid.uuid4().hex,
        "exp": utcnow() + timedelta(seconds=CONFIRM_SECONDS),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def _confirmed(secret: str, *, user_id: uuid.UUID, request: BulkRequest) -> tuple[list[int], str]:
    """The previewed ids and the token's id, when the token is this user's for this very request."""
    assert request.confirm_token is not None
    try:
        claims = jwt.decode(request.confirm_token, secret, algorithms=["HS256"], audience=_AUDIENCE)
    except jwt.ExpiredSignatureError as err:
        raise Conflict("That confirmation has expired; ask again to see what would change.") from err
    except jwt.InvalidTokenError as err:
        raise Conflict("That confirmation token is not valid; ask again to see what would change.") from err
    if claims.get("sub") != str(user_id) or claims.get("what") != _fingerprint(request):
        raise Conflict("That confirmation was given for a different change; ask again to see what would change.")
    return [int(i) for i in claims["ids"]], str(claims["jti"])


def _values(request: BulkRequest) -> None:
    needs = {"add_tags": request.tags, "remove_tags": request.tags, "reschedule": request.due_at,
             "set_priority": request.priority}  # fmt: skip
    if request.action in needs and not needs[request.action]:
        field = {"add_tags": "tags", "remove_tags": "tags", "reschedule": "due_at", "set_priority": "priority"}
        raise InvalidInput(f"'{request.action}' needs {field[request.action]}: what to set on the tasks.")


def _apply(
    session: AsyncSession, task: Task, request: BulkRequest, fields: dict[str, Any], tz: ZoneInfo, now: datetime
) -> None:
    if request.action == "complete" and not task.completed:
        tasks.complete_now(session, task, tz, now)
    elif request.action == "reopen":
        task.completed, task.completed_at = False, None
    elif request.action == "delete":
        task.deleted_at = now
    elif request.action == "add_tags":
        merged = list(dict.fromkeys([*(task.tags or []), *(request.tags or [])]))
        task.tags = merged[:10]
    elif request.action == "remove_tags":
        task.tags = [t for t in task.tags or [] if t not in set(request.tags or [])] or None
    else:
        tasks.apply_fields(task, fields, tz, now)
    task.updated_at = now


async def bulk_update(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    request: BulkRequest,
    secret: str,
    idempotency_key: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> BulkResult:
    """Preview (several matches, no token), or perform (one match, or a valid token) a bulk change.

    Raises:
        InvalidInput: the action lacks its value.
        Conflict: the confirmation token is expired, foreign or for another change.
    """
    _values(request)
    key = idempotency_key
    ids = request.task_ids
    if request.confirm_token is not None:
        previewed, jti = _confirmed(secret, user_id=user_id, request=request)
        ids, key = (previewed if ids is None else [i for i in ids if i in previewed]), f"bulk:{jti}"
    if (earlier := await changes.replayed(session, user_id=user_id, key=key)) is not None:
        return BulkResult.model_validate(earlier)
    tz = await tasks.user_zone(session, user_id=user_id)
    now = utcnow()
    found = await tasks.matching(session, user_id=user_id, flt=request.filter, ids=ids, tz=tz, limit=MAX_TASKS)
    days = tasks.Days.at(now, tz)
    noun = "task" if len(found) == 1 else "tasks"
    if len(found) > 1 and request.confirm_token is None:
        preview = BulkResult(
            status="needs_confirmation",
            action=request.action,
            count=len(found),
            tasks=[tasks.to_public(t, tz, days) for t in found],
            message=f"{_VERBS[request.action]} these {len(found)} {noun}?",
            confirm_token=_token(secret, user_id=user_id, request=request, ids=[t.id for t in found]),
            expires_in_seconds=CONFIRM_SECONDS,
        )
        await session.rollback()  # a preview locks nothing and changes nothing
        return preview
    fields: dict[str, Any] = {}
    if request.action == "reschedule":
        fields["due_at"] = request.due_at
    if request.action == "set_priority":
        fields["priority"] = request.priority
    before = [changes.snapshot(t) for t in found]
    shown = [tasks.to_public(t, tz, days) for t in found] if request.action == "delete" else []
    for task in found:
        _apply(session, task, request, fields, tz, now)
    await session.flush()
    public: list[TaskPublic] = shown or [tasks.to_public(t, tz, days) for t in found]
    summary = f"{_DONE[request.action]} {len(found)} {noun}" + (
        f": {', '.join(f'#{t.id}' for t in found[:20])}" if found else ""
    )
    result = BulkResult(status="done", action=request.action, count=len(found), tasks=public, message=summary + ".")
    if found:
        change = changes.record(
            session,
            user_id=user_id,
            action=f"bulk_{request.action}",
            summary=summary,
            before=before,
            after=[changes.snapshot(t) for t in found],
            idempotency_key=key,
            conversation_id=conversation_id,
        )
        await session.flush()
        result.change_id = change.id
        change.result = result.model_dump(mode="json")
    if (raced := await tasks.commit_change(session, user_id=user_id, key=key)) is not None:
        return BulkResult.model_validate(raced)
    return result
