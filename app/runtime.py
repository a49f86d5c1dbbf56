"""What a running process holds: settings, the database engine, Redis, the revocation store.

Built once in the application lifespan and reached by dependencies through `request.app.state.runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import telemetry
from app.core.config import Settings
from app.core.revocation import MemoryRevocationStore, RedisRevocationStore, RevocationStore
from app.db.session import create_engine, create_sessionmaker


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    revocations: RevocationStore
    extras: dict[str, Any] = field(default_factory=dict)

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
        )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
