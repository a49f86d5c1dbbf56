"""The event-stream poller: one per process reads new user_events rows for every user in one query and hands
each to the in-process streams of its user, so a change committed through any instance reaches every tab."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from types import FrameType
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.events import StoredEvent, events_after, latest_event_id
from telemetry import metrics

log = structlog.get_logger(__name__)
POLL_LIMIT = 1000
# PostgreSQL hands out ids before commit, so a smaller id can become visible after a larger one: the poller reads
# again from the lowest missing id for this long before it takes the gap for a rolled-back transaction.
GAP_SECONDS = 5.0


class Subscription:
    """One stream's bounded queue of events; `None` in it means the stream is over."""

    def __init__(self, user_id: uuid.UUID, size: int) -> None:
        self.user_id = user_id
        self.queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(maxsize=size)
        self.dropped = False

    def offer(self, event: StoredEvent) -> bool:
        """Queue the event; False when the client is too far behind to keep."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def end(self) -> None:
        # The queue may be full: make room for the end mark, the stream ends at once anyway.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventBroker:
    """Fans committed events out to this process's subscribers, polling every `poll_seconds`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, poll_seconds: float, queue_size: int) -> None:
        self.sessions = sessions
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self.closed = False
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._last_id = 0
        self._gaps: dict[int, float] = {}  # missing id -> when first missed
        self._delivered: set[int] = set()  # ids above the lowest gap already handed out

    def subscribe(self, user_id: uuid.UUID) -> Subscription:
        subscription = Subscription(user_id, self.queue_size)
        if self.closed:
            subscription.end()
        else:
            self._subscribers.setdefault(user_id, set()).add(subscription)
            metrics.event_streams.inc()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.user_id)
        if subscribers is not None and subscription in subscribers:
            subscribers.discard(subscription)
            metrics.event_streams.dec()
            if not subscribers:
                del self._subscribers[subscription.user_id]

    def close(self) -> None:
        """End every stream (shutdown): each client sees its stream close and reconnects elsewhere."""
        self.closed = True
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.end()
                self.unsubscribe(subscription)

    def _deliver(self, event: StoredEvent) -> None:
        for subscription in list(self._subscribers.get(event.user_id, ())):
            if not subscription.offer(event):
                subscription.dropped = True
                subscription.end()
                self.unsubscribe(subscription)
                metrics.event_streams_dropped.inc()
                log.warning("event_stream_dropped", reason="client too slow", queue_size=self.queue_size)

    async def start(self) -> None:
        """Begin after the newest event: streams replay older ones themselves from Last-Event-ID."""
        async with self.sessions() as session:
            self._last_id = await latest_event_id(session=session)

    async def poll(self) -> int:
        """Read the events committed since the last poll and deliver them; returns how many were new."""
        now = time.monotonic()
        self._gaps = {gap: seen for gap, seen in self._gaps.items() if now - seen < GAP_SECONDS}
        floor = min(self._gaps, default=self._last_id + 1) - 1
        self._delivered = {id_ for id_ in self._delivered if id_ > floor}
        async with self.sessions() as session:
            rows = await events_after(session=session, after_id=floor, limit=POLL_LIMIT)
        fresh = 0
        for event in rows:
            if event.id in self._delivered or (event.id <= self._last_id and event.id not in self._gaps):
                continue
            self._gaps.pop(event.id, None)
            for missing in range(self._last_id + 1, event.id):
                self._gaps.setdefault(missing, now)
            self._last_id = max(self._last_id, event.id)
            self._delivered.add(event.id)
            self._deliver(event)
            fresh += 1
        return fresh

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                await self.poll()
            except Exception as err:  # the database being away must not end the loop: the next poll tries again
                log.warning("event_poll_failed", error=type(err).__name__, exc_info=err)
            await asyncio.sleep(self.poll_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Poll in the background while the block runs; end every stream when it leaves."""
        try:
            await self.start()
        except Exception as err:  # a database away at start-up: streams start from the first event seen
            log.warning("event_poller_start_failed", error=type(err).__name__)
        task = asyncio.create_task(self.run(), name="event-poller")
        try:
            with _closing_on_exit_signal(self):
                yield
        finally:
            self.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.contextmanager
def _closing_on_exit_signal(broker: EventBroker) -> Iterator[None]:
    """End the streams as soon as SIGTERM/SIGINT arrives, then let the server's own handler run.

    uvicorn waits for open responses to finish before it runs the lifespan's shutdown, and an event stream never
    finishes by itself: without this a stopping server would hang until its graceful-shutdown timeout.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only delivered to the main thread (an embedded server in tests)
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(broker.close)
        chained = previous.get(sig)
        if callable(chained):
            chained(sig, frame)

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[int(sig)] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
