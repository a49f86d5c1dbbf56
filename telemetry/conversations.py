"""The active-conversations gauge: conversations with a message in the last 24 hours (the session window).

Counted by one indexed query when /metrics is scraped, at most once per refresh interval, so the chat's hot
path pays nothing for it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import structlog
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import DateTime, Uuid, column, distinct, func, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from telemetry import conventions as c
from telemetry import metrics

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 15.0
_messages = table("messages", column("conversation_id", Uuid), column("created_at", DateTime(timezone=True)))


class ActiveConversations:
    """Refreshes the gauge from the database, rate-limited and one query at a time."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.refresh_seconds = refresh_seconds
        self._last = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self, engine: AsyncEngine, *, now: datetime | None = None) -> None:
        """Count again if the last count is older than the refresh interval."""
        if time.monotonic() - self._last < self.refresh_seconds or self._lock.locked():
            return
        async with self._lock:
            self._last = time.monotonic()
            cutoff = (now or datetime.now(UTC)) - timedelta(seconds=c.ACTIVE_CONVERSATION_WINDOW_SECONDS)
            query = select(func.count(distinct(_messages.c.conversation_id))).where(_messages.c.created_at >= cutoff)
            try:
                # A scrape is not a user request: its query must not start traces of its own.
                with suppress_instrumentation():
                    async with engine.connect() as conn:
                        count = (await conn.execute(query)).scalar_one()
            except (SQLAlchemyError, OSError) as err:
                log.warning("active_conversations_count_failed", error=type(err).__name__)
                return
            metrics.chat_active_conversations.set(count)
