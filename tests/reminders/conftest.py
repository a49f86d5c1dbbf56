"""Fixtures for the reminders tests: the shared databases, and an engine on them per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.session import create_engine
from tests.conftest import make_settings


@pytest.fixture
def worker_settings(database_url: str) -> Settings:
    return make_settings(database_url, reminder_batch_size=7, purge_batch_size=3)


@pytest.fixture
async def db(worker_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(worker_settings)
    try:
        yield engine
    finally:
        await engine.dispose()
