"""The reminders worker: claims due reminders every REMINDER_POLL_SECONDS and purges old rows every
PURGE_EVERY_SECONDS. Any number may run at once (in every API instance and as `todochat worker`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import structlog
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.services.reminders import PurgeCounts, SentReminder, claim_due_reminders, count_due, purge_expired
from telemetry import metrics

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("todochat.worker")
# Full batches are fetched again at once, up to this many per poll, so a backlog drains without starving the purge.
MAX_BATCHES_PER_POLL = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReminderWorker:
    """Sends due reminders and purges expired rows through `sessions`; `clock` is for tests."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock

    async def send_batch(self) -> list[SentReminder]:
        """Claim and publish one batch of due reminders, in one span and one transaction."""
        with tracer.start_as_current_span("reminders.claim") as span:
            async with self.sessions() as session:
                sent = await claim_due_reminders(
                    session=session,
                    now=self.clock(),
                    limit=self.settings.reminder_batch_size,
                    late_after_seconds=self.settings.reminder_late_seconds,
                )
            span.set_attribute("todochat.reminders.claimed", len(sent))
        for reminder in sent:
            metrics.reminders_sent.labels("true" if reminder.late else "false").inc()
            metrics.observe(metrics.reminder_lateness, reminder.lateness_seconds)
            log.info(
                "reminder_sent",
                task_id=reminder.task_id,
                late=reminder.late,
                lateness_seconds=round(reminder.lateness_seconds, 3),
            )
        return sent

    async def send_due(self) -> int:
        """Send every reminder due now (in batches); returns how many this worker sent."""
        async with self.sessions() as session:
            metrics.reminders_due.set(await count_due(session=session, now=self.clock()))
        total = 0
        for _ in range(MAX_BATCHES_PER_POLL):
            sent = await self.send_batch()
            total += len(sent)
            if len(sent) < self.settings.reminder_batch_size:
                break
        return total

    async def purge(self) -> PurgeCounts:
        """Remove the rows past their windows, in bounded batches; returns how many of each went."""
        tasks = changes = events = 0
        with tracer.start_as_current_span("reminders.purge") as span:
            for _ in range(MAX_BATCHES_PER_POLL):
                async with self.sessions() as session:
                    counts = await purge_expired(
                        session=session, now=self.clock(), batch_size=self.settings.purge_batch_size
                    )
                tasks, changes, events = (
                    tasks + counts.tasks,
                    changes + counts.task_changes,
                    events + counts.user_events,
                )
                if max(counts.tasks, counts.task_changes, counts.user_events) < self.settings.purge_batch_size:
                    break
            span.set_attribute("todochat.purged", tasks + changes + events)
        total = PurgeCounts(tasks=tasks, task_changes=changes, user_events=events)
        for kind, count in (("tasks", tasks), ("task_changes", changes), ("user_events", events)):
            if count:
                metrics.purged_rows.labels(kind).inc(count)
        if total.total:
            log.info("purged", tasks=tasks, task_changes=changes, user_events=events)
        return total

    async def run(self) -> None:
        """Poll until cancelled."""
        log.info("reminder_worker_started", poll_seconds=self.settings.reminder_poll_seconds)
        next_purge = time.monotonic()
        while True:
            # A database that is away (or any bug in one poll) must not end the loop: the next poll tries again.
            try:
                await self.send_due()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + self.settings.purge_every_seconds
                    await self.purge()
            except Exception as err:
                log.warning("reminder_poll_failed", error=type(err).__name__, exc_info=err)
            await asyncio.sleep(self.settings.reminder_poll_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the worker in the background while the block runs."""
        task = asyncio.create_task(self.run(), name="reminder-worker")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
