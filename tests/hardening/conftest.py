"""Fixtures for the hardening suite: live servers with their own limits, and attack helpers."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from app.core.config import Settings
from tests.conftest import make_settings
from tests.support import LiveServer


@contextlib.contextmanager
def live(database_url: str, **overrides: object) -> Iterator[LiveServer]:
    """A live server of its own, with rate limits on unless `overrides` say otherwise."""
    overrides.setdefault("rate_limit_enabled", True)
    with LiveServer.start(make_settings(database_url, **overrides)) as server:
        yield server


@contextlib.asynccontextmanager
async def client_for(server: LiveServer, **kwargs: object) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, **kwargs) as c:  # type: ignore[arg-type]
        yield c


def fake_ip() -> str:
    """A documentation-range address, unique per call, sent as X-Forwarded-For (uvicorn trusts 127.0.0.1)."""
    n = uuid.uuid4().int
    return f"198.51.{n % 250}.{(n >> 8) % 250 + 1}"


def forged_token(settings: Settings, *, user_id: uuid.UUID, key: str, algorithm: str = "HS256") -> str:
    """An access token for `user_id` that looks right but is signed with `key` instead of the service's secret."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": str(uuid.uuid4()),
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex[:16],
    }
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.fixture
def hardened_sqlite(sqlite_url: str) -> Iterator[LiveServer]:
    """A server with the production limits (100/min, login 10/min, chat 20/min) on SQLite."""
    with live(sqlite_url) as server:
        yield server


@pytest.fixture(scope="session")
def plain(sqlite_url: str) -> Iterator[LiveServer]:
    """One shared server on SQLite without rate limits, for checks that do not depend on the database."""
    with live(sqlite_url, rate_limit_enabled=False) as server:
        yield server
