"""The async engine and session factory, built once per process from the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.db.pool import DEFAULT_PING_AFTER_SECONDS, WarmQueuePool


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine with the deployment spec's pool for PostgreSQL: 5 connections, up to 20, pinged, recycled."""
    kwargs: dict[str, Any] = {}
    if settings.is_sqlite:
        # A local file cannot drop the connection under us: no ping needed.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # The deployment spec's pool: DB_POOL_SIZE (5) always kept, up to DB_MAX_OVERFLOW (15) more under load,
        # kept while in use and closed after DB_POOL_IDLE_SECONDS unused; with DB_POOL_PRE_PING, a connection
        # idle for a second or more is pinged before use, so one dropped by a server restart or a Neon compute
        # suspend is replaced instead of failing a request (app.db.pool); recycled after DB_POOL_RECYCLE_SECONDS.
        kwargs.update(
            poolclass=WarmQueuePool.configured(
                idle_seconds=settings.db_pool_idle_seconds,
                ping_after_seconds=DEFAULT_PING_AFTER_SECONDS if settings.db_pool_pre_ping else None,
            ),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle=settings.db_pool_recycle_seconds,
            pool_timeout=10,
        )
    engine = create_async_engine(settings.database_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that writes: one transaction, committed or rolled back by the caller."""
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read.

    On PostgreSQL they run in autocommit: no BEGIN before the first statement and no ROLLBACK on close, two round
    trips fewer per request. Each statement still sees one consistent snapshot, so a read that is one statement
    (as a page with its window count is) loses nothing. SQLite's driver opens no transaction for a SELECT anyway.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session per request; rolled back on error, closed always."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
