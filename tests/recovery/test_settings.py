"""Backups and drills read DATABASE_URL through the service's settings, never a second time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import get_settings
from app.recovery.settings import RecoverySettings


@pytest.fixture
def fresh_service_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no .env file of the checkout takes part
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_service_settings")
def test_the_recovery_settings_take_the_database_from_the_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://todochat@db.internal:5432/todochat?sslmode=require")
    service = get_settings()
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@elsewhere:5432/other")  # read again, it would differ

    assert RecoverySettings().database_url == service.database_url
    assert service.database_url == "postgresql+asyncpg://todochat@db.internal:5432/todochat?ssl=require"


@pytest.mark.usefixtures("fresh_service_settings")
def test_a_database_given_to_the_recovery_settings_wins_over_the_service_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://todochat@db.internal:5432/todochat")
    given = RecoverySettings(database_url="postgresql://postgres@127.0.0.1:5432/scratch")
    assert given.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/scratch"
