"""GET /api/v1/events: the signed-in user's task changes and reminders, as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from app.api.deps import CurrentUser, EventBrokerDep, RuntimeDep
from app.core.errors import InvalidInput
from app.schemas.common import ERROR_RESPONSES
from app.services.events import StoredEvent, user_events_after

router = APIRouter(prefix="/events", tags=["events"], responses=ERROR_RESPONSES)
REPLAY_BATCH = 500
RETRY_MS = 2000  # how soon EventSource reconnects after the stream ends (shutdown, a slow client cut off)


def sse_event(event: StoredEvent) -> str:
    data = json.dumps(event.payload, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def _resume_id(header: str | None, query: int | None) -> int | None:
    if header is None or not header.strip():
        return query
    if not header.strip().isdigit():
        raise InvalidInput("Last-Event-ID must be the id of an event this stream sent.")
    return int(header.strip())


@router.get(
    "",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "tasks and reminder events"}},
)
async def stream_events(
    principal: CurrentUser,
    runtime: RuntimeDep,
    broker: EventBrokerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id (as Last-Event-ID)")] = None,
) -> StreamingResponse:
    """Stream the user's events: `tasks` (refetch what you show) and `reminder`; `Last-Event-ID` resumes."""
    resume_from = _resume_id(last_event_id, after)
    # Subscribed before the replay reads the table, so nothing committed in between is missed; what both see is
    # sent once.
    subscription = broker.subscribe(principal.user_id)
    heartbeat = runtime.settings.events_heartbeat_seconds

    async def events() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n: connected\n\n"
            replayed: set[int] = set()
            if resume_from is not None:
                after_id = resume_from
                while True:
                    async with runtime.sessions() as session:
                        batch = await user_events_after(
                            session=session, user_id=principal.user_id, after_id=after_id, limit=REPLAY_BATCH
                        )
                    for old in batch:
                        replayed.add(old.id)
                        yield sse_event(old)
                    if len(batch) < REPLAY_BATCH:
                        break
                    after_id = batch[-1].id
            while True:
                try:
                    event = await asyncio.wait_for(subscription.queue.get(), timeout=heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if event is None:
                    return
                if event.id not in replayed:
                    yield sse_event(event)
        finally:
            broker.unsubscribe(subscription)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
