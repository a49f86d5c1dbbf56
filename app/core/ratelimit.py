"""Sliding-window rate limits: exact counts over the last window, shared through Redis or kept in memory.

A sliding log (one timestamp per request) is exact: the 101st request inside any 60-second window is
refused, which a token bucket that refills continuously would let through. Several quotas (per user and
per route, say) are checked and spent together, atomically: a request refused by one quota spends none.

Redis policy: when Redis cannot be reached the request is let through (fail open), counted in
`todochat_rate_limit_backend_errors_total` and logged once; Redis is then left alone for a few seconds
so that an outage costs no latency. Rate limits protect capacity; refusing every request because the
limiter's store is away would turn a Redis outage into a full outage.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from telemetry import metrics

log = structlog.get_logger(__name__)

REDIS_KEY_PREFIX = "todochat:ratelimit:"
REDIS_CALL_TIMEOUT_SECONDS = 0.5
REDIS_BACKOFF_SECONDS = 5.0

# KEYS: one sorted set per quota. ARGV: a unique member, then (limit, window_ms) per key.
# Returns {allowed, now_ms, count_1, oldest_1, count_2, oldest_2, ...}; counts are before this request.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {1, now}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local oldest = now
  if first[2] then oldest = tonumber(first[2]) end
  if count >= limit then out[1] = 0 end
  out[#out + 1] = count
  out[#out + 1] = oldest
end
if out[1] == 1 then
  for i = 1, #KEYS do
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i + 1]))
  end
end
return out
"""


@dataclass(frozen=True, slots=True)
class Quota:
    """`limit` requests per `window_seconds` for one key; `scope` names it in metrics and logs."""

    scope: str
    key: str
    limit: int
    window_seconds: int = 60


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for the tightest quota: what goes into the RateLimit-* and Retry-After headers."""

    allowed: bool
    scope: str
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int
    retry_after: int = 0
    counted: bool = True  # False when the store was unreachable and the request was let through


@dataclass(frozen=True, slots=True)
class _Window:
    count: int  # requests in the window before this one
    oldest_ms: float  # the oldest request still in the window (now when empty)


def decide(quotas: Sequence[Quota], windows: Sequence[_Window], now_ms: float) -> Decision:
    """Turn per-quota window counts into one decision; pure, shared by both stores."""
    refused = [
        (q, math.ceil((w.oldest_ms + q.window_seconds * 1000 - now_ms) / 1000))
        for q, w in zip(quotas, windows, strict=True)
        if w.count >= q.limit
    ]
    if refused:
        quota, wait = max(refused, key=lambda pair: pair[1])
        wait = max(wait, 1)
        return Decision(False, quota.scope, quota.limit, 0, wait, quota.window_seconds, retry_after=wait)
    candidates = []
    for q, w in zip(quotas, windows, strict=True):
        remaining = q.limit - w.count - 1
        reset = max(math.ceil((min(w.oldest_ms, now_ms) + q.window_seconds * 1000 - now_ms) / 1000), 1)
        candidates.append(Decision(True, q.scope, q.limit, remaining, reset, q.window_seconds))
    return min(candidates, key=lambda d: (d.remaining, -d.reset_seconds))


def _let_through(quotas: Sequence[Quota]) -> Decision:
    tightest = min(quotas, key=lambda q: q.limit)
    return Decision(
        True,
        tightest.scope,
        tightest.limit,
        tightest.limit,
        tightest.window_seconds,
        tightest.window_seconds,
        counted=False,
    )


class RateLimiter(Protocol):
    async def hit(self, quotas: Sequence[Quota]) -> Decision:
        """Count one request against every quota, unless one of them is exhausted."""
        ...


class MemoryRateLimiter:
    """One process's sliding windows; used when REDIS_URL is unset."""

    _SWEEP_EVERY = 1000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._logs: dict[str, deque[float]] = {}
        self._windows_ms: dict[str, float] = {}
        self._hits = 0

    async def hit(self, quotas: Sequence[Quota]) -> Decision:
        """Count one request against every quota, unless one of them is exhausted."""
        now_ms = self._clock() * 1000
        self._hits += 1
        if self._hits % self._SWEEP_EVERY == 0:
            self._sweep(now_ms)
        windows = []
        for q in quotas:
            entries = self._logs.setdefault(q.key, deque())
            self._windows_ms[q.key] = q.window_seconds * 1000
            horizon = now_ms - q.window_seconds * 1000
            while entries and entries[0] <= horizon:
                entries.popleft()
            windows.append(_Window(len(entries), entries[0] if entries else now_ms))
        decision = decide(quotas, windows, now_ms)
        if decision.allowed:
            for q in quotas:
                self._logs[q.key].append(now_ms)
        return decision

    def _sweep(self, now_ms: float) -> None:
        # Idle keys would otherwise pile up forever, one per client address ever seen.
        stale = [k for k, v in self._logs.items() if not v or v[-1] <= now_ms - self._windows_ms.get(k, 0)]
        for key in stale:
            del self._logs[key]
            self._windows_ms.pop(key, None)


class RedisRateLimiter:
    """Sliding windows shared by every instance through one atomic Lua script; fails open (see module doc)."""

    def __init__(
        self,
        redis: Redis,
        *,
        timeout_seconds: float = REDIS_CALL_TIMEOUT_SECONDS,
        backoff_seconds: float = REDIS_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._script = redis.register_script(_SLIDING_WINDOW_LUA)
        self._timeout = timeout_seconds
        self._backoff = backoff_seconds
        self._clock = clock
        self._skip_until = 0.0

    async def hit(self, quotas: Sequence[Quota]) -> Decision:
        """Count one request against every quota, unless one of them is exhausted."""
        if self._clock() < self._skip_until:
            metrics.rate_limit_backend_errors.inc()
            return _let_through(quotas)
        args: list[str | int] = [uuid.uuid4().hex]
        for q in quotas:
            args += [q.limit, q.window_seconds * 1000]
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._script(keys=[REDIS_KEY_PREFIX + q.key for q in quotas], args=args)
        except (RedisError, OSError, TimeoutError) as err:
            self._skip_until = self._clock() + self._backoff
            metrics.rate_limit_backend_errors.inc()
            log.warning(
                "rate_limit_store_unavailable",
                error=f"{type(err).__name__}: {err}"[:200],
                policy="fail_open",
                retry_in_seconds=self._backoff,
            )
            return _let_through(quotas)
        values = [int(v) for v in raw]
        now_ms = values[1]
        windows = [_Window(values[i], values[i + 1]) for i in range(2, len(values), 2)]
        return decide(quotas, windows, now_ms)


def build_rate_limiter(redis: Redis | None) -> RateLimiter:
    """Redis-backed when a client is configured, in memory otherwise."""
    return RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
