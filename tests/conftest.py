"""Shared fixtures: real databases (SQLite and, when TEST_DATABASE_URL is set, PostgreSQL) and live servers.

Every data test runs against both backends. PostgreSQL tests get a scratch database created for the
session and dropped at the end, so they never touch data that is already on the server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings, normalize_database_url
from app.db.session import create_engine
from tests.support import IN_CI, LiveServer, live, make_settings, migrate, scratch_database, unavailable

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
# pyproject's filterwarnings reaches only this process: the servers, workers and commands the tests start inherit
# this instead, so a deprecation in them fails the test too (it exits on start or answers 500, with the warning).
# Until telemetry/sentry.py moves from send_default_pii to sentry-sdk's data_collection (its owner's change).
SENTRY_PII_OPTION = "ignore:The send_default_pii option is deprecated:DeprecationWarning"
os.environ.setdefault(
    "PYTHONWARNINGS", f"error::DeprecationWarning,error::PendingDeprecationWarning,{SENTRY_PII_OPTION}"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI a missing service fails the tests that need it; elsewhere they are skipped with the reason."""
    if IN_CI:
        return
    for item in items:
        if "postgres" in item.keywords and not POSTGRES_URL:
            item.add_marker(pytest.mark.skip(reason="TEST_DATABASE_URL is not set (no PostgreSQL to test against)"))
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="TEST_REDIS_URL is not set (no Redis to test against)"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database with the schema migrated, for this test session."""
    if not POSTGRES_URL:
        unavailable("TEST_DATABASE_URL is not set (no PostgreSQL to test against)")
    with scratch_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "todochat.db"
    url = normalize_database_url(f"sqlite:///{path}")
    migrate(url)
    return url


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each data test runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[LiveServer]:
    """The whole application served by uvicorn on a free port of 127.0.0.1."""
    with LiveServer.start(settings) as live:
        yield live


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


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the database the live server uses, to look at or change rows behind its back."""
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        yield c


async def signup(
    client: httpx.AsyncClient, email: str | None = None, password: str = "correct horse battery"
) -> dict[str, str]:
    """Register and sign in a new user; returns the Authorization header."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    r = await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    return await signup(client)
