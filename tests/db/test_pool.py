"""The PostgreSQL pool: 5 kept, up to 20 while in use, extras closed once idle, the ceiling held, pings on use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.config import Settings
from app.db.pool import WarmQueuePool
from app.db.session import create_engine

pytestmark = pytest.mark.postgres


class Counts:
    """DBAPI connections the pool opened and closed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.opened = 0
        self.closed = 0
        event.listen(engine.sync_engine.pool, "connect", self._opened)
        event.listen(engine.sync_engine.pool, "close", self._closed)

    def _opened(self, *_args: object) -> None:
        self.opened += 1

    def _closed(self, *_args: object) -> None:
        self.closed += 1


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(Settings(database_url=postgres_url, db_pool_idle_seconds=0.5))
    try:
        yield made
    finally:
        await made.dispose()


async def hold(engine: AsyncEngine, count: int) -> list[AsyncConnection]:
    held = []
    for _ in range(count):
        conn = await engine.connect()
        assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        held.append(conn)
    return held


async def release(held: list[AsyncConnection]) -> None:
    for conn in held:
        await conn.close()


def pool_of(engine: AsyncEngine) -> WarmQueuePool:
    pool = engine.sync_engine.pool
    assert isinstance(pool, WarmQueuePool)
    return pool


async def test_connections_above_the_pool_size_stay_open_while_they_are_reused(engine: AsyncEngine) -> None:
    pool = pool_of(engine)
    counts = Counts(engine)
    await release(await hold(engine, 16))
    assert counts.opened == 16
    assert (pool.checkedin(), pool.checkedout(), pool.overflow()) == (16, 0, 11)
    # A steady load of 16 at once: three more rounds open nothing and close nothing.
    for _ in range(3):
        await release(await hold(engine, 16))
    assert (counts.opened, counts.closed) == (16, 0)
    assert "Idle above pool size: 11" in pool.status()


async def test_extras_left_unused_for_the_idle_time_are_closed_down_to_the_pool_size(engine: AsyncEngine) -> None:
    pool = pool_of(engine)
    counts = Counts(engine)
    await release(await hold(engine, 12))
    await asyncio.sleep(0.6)
    # The next use of the pool closes the idle extras; the five kept are reused, not reopened.
    await release(await hold(engine, 1))
    assert counts.closed == 7
    assert (pool.checkedin(), pool.overflow()) == (5, 0)
    await release(await hold(engine, 5))
    assert counts.opened == 12


async def test_an_extra_in_use_is_not_closed_and_the_ceiling_of_20_holds(postgres_url: str) -> None:
    engine = create_engine(Settings(database_url=postgres_url, db_pool_idle_seconds=0.5))
    engine.sync_engine.pool._timeout = 0.5  # the 21st waits this long, not the configured 10 s
    counts = Counts(engine)
    try:
        held = await hold(engine, 20)
        with pytest.raises(exc.TimeoutError):
            await engine.connect()
        await asyncio.sleep(0.6)
        await release(held[5:])  # returned now: fresh, not idle
        await release(await hold(engine, 1))
        assert counts.closed == 0
        await release(held[:5])
        assert counts.opened == 20
        assert pool_of(engine).checkedout() == 0
    finally:
        await engine.dispose()


async def test_dispose_closes_the_extras_too(engine: AsyncEngine) -> None:
    counts = Counts(engine)
    await release(await hold(engine, 9))
    await engine.dispose()
    assert counts.closed == 9
    pool = pool_of(engine)
    assert (pool.checkedin(), pool.checkedout(), pool.overflow()) == (0, 0, -5)
    assert pool.idle_seconds == 0.5, "the recreated pool keeps its idle time"


async def _terminate(postgres_url: str, pid: int) -> None:
    admin = await asyncpg.connect(make_url(postgres_url).set(drivername="postgresql").render_as_string(False))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
    finally:
        await admin.close()


async def test_a_connection_returned_a_moment_ago_is_trusted_and_a_dead_one_is_then_replaced(
    postgres_url: str,
) -> None:
    # No round trip for a connection just used (the ping is for ones idle a second or more): if it died in that
    # moment, its statement fails as a disconnect and the pool replaces it, so the next request succeeds.
    engine = create_engine(Settings(database_url=postgres_url, db_pool_size=1, db_max_overflow=1))
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await _terminate(postgres_url, pid)
        await asyncio.sleep(0.1)
        with pytest.raises(exc.DBAPIError) as failed:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()


def test_without_pre_ping_the_pool_pings_nothing() -> None:
    settings = Settings(database_url="postgresql+asyncpg://u@127.0.0.1:1/x", db_pool_pre_ping=False)
    pool = create_engine(settings).sync_engine.pool
    assert isinstance(pool, WarmQueuePool)
    assert pool.ping_after_seconds is None
    assert pool._pre_ping is False  # SQLAlchemy's own ping on every checkout stays off either way
