"""Fixtures for the foundation tests: direct database access, ready-made accounts, empty scratch databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings, normalize_database_url
from tests.conftest import POSTGRES_URL
from tests.foundation.helpers import make_account
from tests.support import scratch_database, unavailable


@pytest.fixture
async def account(db: AsyncEngine, settings: Settings) -> dict[str, str]:
    """A new account (password PASSWORD) with a signed-in session: e-mail, access token, refresh token.

    The account row is written directly and the session started through the service function login uses, which
    skips per-test password hashing; the register and login routes themselves are tested in test_auth.py.
    """
    return await make_account(db, settings)


@pytest.fixture
async def another_account(db: AsyncEngine, settings: Settings) -> dict[str, str]:
    """A second account, for tests about one user reaching another's data."""
    return await make_account(db, settings)


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
