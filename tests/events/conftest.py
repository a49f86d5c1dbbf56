"""Fixtures for the event-stream tests: a live server without the reminders worker, and a second engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.session import create_engine
from tests.conftest import make_settings
from tests.support import LiveServer


@pytest.fixture(scope="session")
def events_settings(database_url: str) -> Settings:
    return make_settings(database_url, reminder_worker=False, events_heartbeat_seconds=1.0)


@pytest.fixture(scope="session")
def events_server(events_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer.start(events_settings) as live:
        yield live


@pytest.fixture
async def other_instance(events_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine of its own, standing for another API instance writing to the same database."""
    engine = create_engine(events_settings)
    try:
        yield engine
    finally:
        await engine.dispose()
