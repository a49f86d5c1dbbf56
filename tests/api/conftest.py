"""Fixtures for the API tests: ready-made accounts with a signed-in session."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from tests.api.helpers import make_account


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
