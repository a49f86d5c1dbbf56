"""Fixtures for the database tests: empty scratch databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import normalize_database_url
from tests.conftest import POSTGRES_URL
from tests.support import scratch_database, unavailable


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, made for one test and dropped after it."""
    if request.param == "sqlite":
        yield normalize_database_url(f"sqlite:///{tmp_path / 'empty.db'}")
        return
    if not POSTGRES_URL:
        unavailable("TEST_DATABASE_URL is not set (no PostgreSQL to test against)")
    with scratch_database(POSTGRES_URL, migrated=False) as url:
        yield url
