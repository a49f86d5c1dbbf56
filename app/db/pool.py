"""A connection pool with a floor and a ceiling: DB_POOL_SIZE kept open, up to DB_MAX_OVERFLOW more while in use.

SQLAlchemy's QueuePool closes every connection above `pool_size` the moment it is returned, so a steady load that
needs more than `pool_size` connections at once reconnects on most requests (docs/performance.md). This pool keeps
those extra connections open while they are being reused and closes them once they have sat unused for
`idle_seconds`, as HikariCP's minimumIdle / idleTimeout and asyncpg's max_inactive_connection_lifetime do. Idle
extras are closed on the pool's next checkout or return; recycling, invalidation and the ceiling work as in
QueuePool.

Liveness: with `ping_after_seconds` set, a connection that has sat in the pool at least that long is pinged before
it is handed out, and replaced if the ping fails (a server restart, a Neon compute suspend, a proxy's idle
timeout). SQLAlchemy's own pre-ping costs round trips on every checkout; a connection returned a moment ago is
trusted instead, as HikariCP trusts one used within its 500 ms bypass window. One that died within that moment
fails its statement, and SQLAlchemy's disconnect handling then replaces every connection opened before it.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

DEFAULT_IDLE_SECONDS = 60.0
DEFAULT_PING_AFTER_SECONDS = 1.0
_RETURNED_AT = "todochat_returned_at"


class WarmQueuePool(AsyncAdaptedQueuePool):
    """AsyncAdaptedQueuePool whose connections above `pool_size` stay open until idle for `idle_seconds`,
    and which pings a connection idle for `ping_after_seconds` or more before handing it out (None: never)."""

    idle_seconds: float = DEFAULT_IDLE_SECONDS
    ping_after_seconds: float | None = DEFAULT_PING_AFTER_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Open connections above pool_size that nobody holds, oldest return first, with when they came back.
        # They still count in `overflow()`: they are open connections above the floor.
        self._spares: deque[tuple[float, ConnectionPoolEntry]] = deque()

    @classmethod
    def configured(cls, *, idle_seconds: float, ping_after_seconds: float | None) -> type[WarmQueuePool]:
        """This pool class with its own settings (create_engine passes only the standard pool arguments)."""
        return type(cls.__name__, (cls,), {"idle_seconds": idle_seconds, "ping_after_seconds": ping_after_seconds})

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        now = time.monotonic()
        record.info[_RETURNED_AT] = now
        if not self._pool.full():
            self._pool.put(record, False)
        else:
            self._spares.append((now, record))
        self._close_idle_spares(now)

    def _do_get(self) -> ConnectionPoolEntry:
        now = time.monotonic()
        self._close_idle_spares(now)
        # A spare only when the floor's connections are all out; the most recently used, so the others idle on.
        record = self._spares.pop()[1] if self._spares and self._pool.empty() else super()._do_get()
        returned_at = record.info.get(_RETURNED_AT)
        ping_after = self.ping_after_seconds
        if ping_after is not None and returned_at is not None and now - returned_at >= ping_after:
            self._ping(record)
        return record

    def _ping(self, record: ConnectionPoolEntry) -> None:
        connection = record.dbapi_connection
        if connection is None:
            return  # already invalidated: the checkout reconnects
        try:
            # The engine gives its pool the real dialect; the attribute is typed as the pool's minimal stand-in.
            cast("Dialect", self._dialect).do_ping(connection)
        except Exception as err:  # any failure: this connection cannot be trusted
            # Closed and forgotten; the checkout opens a new connection in its place.
            record.invalidate(err)

    def _close_idle_spares(self, now: float) -> None:
        while self._spares and now - self._spares[0][0] >= self.idle_seconds:
            _, record = self._spares.popleft()
            try:
                record.close()
            finally:
                self._dec_overflow()

    def checkedin(self) -> int:
        return super().checkedin() + len(self._spares)

    def checkedout(self) -> int:
        return super().checkedout() - len(self._spares)

    def dispose(self) -> None:
        while self._spares:
            self._spares.popleft()[1].close()
        super().dispose()

    def status(self) -> str:
        return f"{super().status()} Idle above pool size: {len(self._spares)}"
