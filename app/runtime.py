"""What a running process holds: settings, the database, Redis, and the collaborators every request shares.

Built once in the application lifespan and reached by dependencies through `request.app.state.runtime`; each
collaborator is a typed field, named where it is used (`api/deps.py` gives routes their `Annotated` aliases).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import telemetry
from app.core.circuit import CircuitBreaker
from app.core.config import Settings
from app.core.ratelimit import RateLimiter, build_rate_limiter
from app.core.revocation import MemoryRevocationStore, RedisRevocationStore, RevocationStore
from app.db.session import create_engine, create_read_sessionmaker, create_sessionmaker
from app.mcp import client as mcp_client
from app.services.auth import ActiveSessionCache, VerifiedTokens

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from app.agent.types import ChatModel

MCP_CIRCUIT_NAME = "mcp"
ReadinessCheck = Callable[["Runtime"], Awaitable[None]]


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    revocations: RevocationStore
    read_sessions: async_sessionmaker[AsyncSession]
    """Sessions for handlers that only read (no transaction on PostgreSQL)."""
    active_sessions: ActiveSessionCache
    """Login sessions recently seen active, so reads need not ask the database each time."""
    verified_tokens: VerifiedTokens
    """Access tokens whose signature has been checked."""
    rate_limiter: RateLimiter
    mcp_breaker: CircuitBreaker
    """In front of the MCP server: one per process, shared by every chat turn."""
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    """Checks beyond the database and Redis that `/health/ready` runs (a separate MCP server, say)."""
    chat_model: ChatModel | None = None
    """Set while the chat components run (`app.agent.wiring`)."""
    mcp_server: MCPServer | None = None
    """The MCP server mounted in this process, which chat turns reach in memory; None when it runs apart."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = telemetry.instrument_engine(create_engine(settings))
        redis = (
            Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if settings.redis_url
            else None
        )
        revocations: RevocationStore = RedisRevocationStore(redis) if redis is not None else MemoryRevocationStore()
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            redis=redis,
            revocations=revocations,
            read_sessions=create_read_sessionmaker(engine),
            active_sessions=ActiveSessionCache(
                settings.active_session_cache_seconds, settings.active_session_cache_entries
            ),
            verified_tokens=VerifiedTokens(settings, settings.active_session_cache_entries),
            rate_limiter=build_rate_limiter(redis),
            # Made up front so its gauge reads 0 (closed) from the first scrape.
            mcp_breaker=CircuitBreaker(MCP_CIRCUIT_NAME),
        )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await mcp_client.close_pool()
        await self.engine.dispose()
