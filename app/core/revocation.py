"""Ended sessions, so that their still-unexpired access tokens stop working at once.

Shared through Redis when REDIS_URL is set (every instance sees a logout); in memory otherwise.
An entry lives as long as the longest access token of that session could.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

_PREFIX = "todochat:revoked:"


class RevocationStore(Protocol):
    async def revoke(self, session_id: uuid.UUID, ttl_seconds: int) -> None: ...
    async def is_revoked(self, session_id: uuid.UUID) -> bool: ...


class MemoryRevocationStore:
    def __init__(self) -> None:
        self._until: dict[uuid.UUID, float] = {}

    async def revoke(self, session_id: uuid.UUID, ttl_seconds: int) -> None:
        now = time.monotonic()
        self._until = {sid: t for sid, t in self._until.items() if t > now}
        self._until[session_id] = now + ttl_seconds

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        until = self._until.get(session_id)
        return until is not None and until > time.monotonic()


class RedisRevocationStore:
    """Falls back to the local memory store when Redis cannot be reached, never failing the request."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._local = MemoryRevocationStore()

    async def revoke(self, session_id: uuid.UUID, ttl_seconds: int) -> None:
        await self._local.revoke(session_id, ttl_seconds)
        # The refresh family is revoked in the database; the local entry covers this instance meanwhile.
        with contextlib.suppress(RedisError, OSError):
            await self._redis.set(f"{_PREFIX}{session_id}", "1", ex=ttl_seconds)

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        if await self._local.is_revoked(session_id):
            return True
        try:
            return bool(await self._redis.exists(f"{_PREFIX}{session_id}"))
        except (RedisError, OSError):
            return False
