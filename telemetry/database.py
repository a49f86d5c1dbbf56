"""Database telemetry: a span per SQL statement, and the connection pool's gauges and wait-time histogram."""

from __future__ import annotations

import os
import re
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

from telemetry import metrics, tracing

E = TypeVar("E", AsyncEngine, Engine)

_instrumented: weakref.WeakSet[Engine] = weakref.WeakSet()
_LEADING_COMMENT = re.compile(r"^\s*/\*.*?\*/", re.DOTALL)
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
    """One CLIENT span per statement, with the attributes opentelemetry-instrumentation-sqlalchemy sets.

    Its EngineTracer costs more per statement than the statement's own Python work on a small query (URL
    attributes rebuilt and set one by one, the span made current for a comment feature we do not use) and
    adds four pool listeners; this keeps the span and its attributes and drops the rest.
    """
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    url = sync_engine.url
    base: dict[str, str | int] = {"db.system": sync_engine.name}
    if url.database:
        base["db.name"] = url.database
    if url.host:
        base["net.peer.name"] = url.host
    if url.port:
        base["net.peer.port"] = url.port
    if url.username:
        base["db.user"] = url.username
    suffix = f" {url.database}" if url.database else ""

    def before(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if context is None or not is_instrumentation_enabled():
            return
        parent = trace.get_current_span().get_span_context()
        if parent.is_valid and not parent.trace_flags.sampled:
            return  # under an unsampled parent the span would be dropped (or orphaned): skip making it
        words = _LEADING_COMMENT.sub("", statement, count=1).split(maxsplit=1)
        name = (words[0] if words else str(base["db.system"])) + suffix
        context._otel_span = tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes={**base, "db.statement": statement}
        )

    def after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        span = getattr(context, "_otel_span", None)
        if span is not None:
            context._otel_span = None
            span.end()

    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, "_otel_span", None)
        if span is not None:
            exception_context.execution_context._otel_span = None
            span.set_status(Status(StatusCode.ERROR, str(exception_context.original_exception)))
            span.end()

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)


def _watch_pool(sync_engine: Engine) -> None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # One process: the gauges read the pools when scraped, so checkouts and checkins cost nothing.
        _scraped_pools.add(sync_engine)
        _read_pools_when_scraped()
        _time_waits(sync_engine.pool)
        return
    # Several workers: each writes its own values to the shared directory, so they are kept current.
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


_scraped_pools: weakref.WeakSet[Engine] = weakref.WeakSet()
_reading_pools = False


def _queue_pools() -> list[QueuePool]:
    return [engine.pool for engine in list(_scraped_pools) if isinstance(engine.pool, QueuePool)]


def _read_pools_when_scraped() -> None:
    global _reading_pools
    if _reading_pools:
        return
    _reading_pools = True
    metrics.db_pool_size.set_function(lambda: sum(pool.size() for pool in _queue_pools()))
    metrics.db_pool_overflow.set_function(lambda: sum(max(0, pool.overflow()) for pool in _queue_pools()))
    metrics.db_pool_checked_out.set_function(lambda: sum(pool.checkedout() for pool in _queue_pools()))


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
