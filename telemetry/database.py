"""Database telemetry: a span per SQL statement, and the connection pool's gauges and wait-time histogram."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry.metrics import NoOpUpDownCounter
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

from telemetry import metrics, tracing

E = TypeVar("E", AsyncEngine, Engine)

_instrumented: weakref.WeakSet[Engine] = weakref.WeakSet()
_metrics_enabled = True


def metrics_enabled() -> bool:
    """Whether this process records metrics (METRICS_ENABLED, on by default)."""
    return _metrics_enabled


def enable_metrics(enabled: bool) -> None:
    """Turn recording of pool metrics on or off for engines instrumented from now on."""
    global _metrics_enabled
    _metrics_enabled = enabled


def instrument_engine(engine: E, *, traces: bool | None = None, pool_metrics: bool | None = None) -> E:
    """Trace the engine's statements and export its pool's state; returns the engine; a repeat is a no-op.

    `traces` and `pool_metrics` default to whether this process turned tracing and metrics on.
    """
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if sync_engine in _instrumented:
        return engine
    _instrumented.add(sync_engine)
    if pool_metrics is None:
        pool_metrics = metrics_enabled()
    if traces is None:
        traces = tracing.provider() is not None
    if traces:
        _trace_statements(sync_engine)
    if pool_metrics:
        _watch_pool(sync_engine)
    return engine


def _trace_statements(sync_engine: Engine) -> None:
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.trace import get_tracer

    # SQLAlchemyInstrumentor().instrument(engine=...) works only for the first engine of a process (the
    # instrumentor is a singleton), and its connection-usage metric duplicates the pool gauges below;
    # the per-engine tracer it builds is used directly instead.
    EngineTracer(  # type: ignore[no-untyped-call]  # untyped library
        get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__),
        sync_engine,
        NoOpUpDownCounter("db.client.connections.usage"),
    )


def _watch_pool(sync_engine: Engine) -> None:
    engine_ref = weakref.ref(sync_engine)

    def update(*_args: Any) -> None:
        engine = engine_ref()
        if engine is None:
            return
        pool = engine.pool
        if isinstance(pool, QueuePool):
            metrics.db_pool_size.set(pool.size())
            metrics.db_pool_overflow.set(max(0, pool.overflow()))
            metrics.db_pool_checked_out.set(pool.checkedout())

    event.listen(sync_engine, "checkout", update)
    event.listen(sync_engine, "checkin", update)
    update()
    _time_waits(sync_engine.pool)


def _time_waits(pool: Pool) -> None:
    # No pool event marks the start of a checkout, so the wait is timed around the queue get itself (which
    # also covers opening a new connection when the pool grows into its overflow).
    original: Callable[[], Any] = pool._do_get

    def timed_do_get() -> Any:
        started = time.perf_counter()
        try:
            return original()
        finally:
            metrics.observe(metrics.db_pool_wait, time.perf_counter() - started)

    pool._do_get = timed_do_get  # type: ignore[method-assign]  # per-pool wrapper, see above
