"""Database telemetry: a span and a duration per SQL statement, and the connection pool's gauges and wait time."""

from __future__ import annotations

import os
import re
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TraceFlags
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

from telemetry import conventions as c
from telemetry import metrics, tracing
from telemetry.spans import IS_VALID, TRACE_FLAGS, AttributeSet, span_context_in

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
    if traces or pool_metrics:
        _instrument_statements(sync_engine, traces=traces, timed=pool_metrics)
    if pool_metrics:
        _watch_pool(sync_engine)
    return engine


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?", re.IGNORECASE)
_seen_tables: set[str] = set()


@lru_cache(maxsize=1024)  # the same few statements run again and again
def statement_labels(statement: str) -> tuple[str, str]:
    """(operation, table) for the statement-time histogram: bounded values only.

    The operation is the statement's first keyword when it is one of DB_OPERATIONS (a WITH query counts as
    SELECT), else OTHER; the table is the first one named, kept for the first DB_TABLES_KEPT names a process
    sees (the schema has about ten), "other" after that and when none is named.
    """
    text = _LEADING_COMMENT.sub("", statement, count=1).lstrip()
    word = text.split(maxsplit=1)[0].upper() if text else ""
    operation = "SELECT" if word == "WITH" else word if word in c.DB_OPERATIONS else c.DB_OPERATION_OTHER
    match = _TABLE.search(text)
    table = match.group(1).lower() if match else c.DB_TABLE_OTHER
    if table not in _seen_tables:
        if len(_seen_tables) >= c.DB_TABLES_KEPT:
            table = c.DB_TABLE_OTHER
        else:
            _seen_tables.add(table)
    return operation, table


def _instrument_statements(sync_engine: Engine, *, traces: bool, timed: bool) -> None:
    """Time every statement (db_client_operation_duration_seconds) and, when tracing, give it a CLIENT span
    with the attributes opentelemetry-instrumentation-sqlalchemy sets.

    The span is made where the DBAPI cursor runs the statement, through SQLAlchemy's dialect execution hooks
    (`do_execute`, `do_execute_no_params`, `do_executemany`): the listener runs the statement itself inside the
    span and tells SQLAlchemy it did. Engine events (`before_cursor_execute`, which the contrib instrumentation
    uses) would put every connection of the engine on SQLAlchemy's slower event path, sampled or not
    (docs/performance.md); the dialect hooks cost nothing when the statement is not traced.
    """
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
    from opentelemetry.instrumentation.utils import _SUPPRESS_INSTRUMENTATION_KEY_PLAIN

    tracer = trace.get_tracer("todochat.db")
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

    def start_span(statement: str) -> Span | None:
        # The current context read once (is_instrumentation_enabled, get_current_span and start_span would
        # each read it again: four lookups a statement).
        current = context.get_current()
        if current.get(_SUPPRESS_INSTRUMENTATION_KEY) or current.get(_SUPPRESS_INSTRUMENTATION_KEY_PLAIN):
            return None
        parent = span_context_in(current)
        if parent[IS_VALID] and not parent[TRACE_FLAGS] & TraceFlags.SAMPLED:
            return None  # under an unsampled parent the span would be dropped (or orphaned): skip making it
        return tracer.start_span(span_name(statement), current, kind=SpanKind.CLIENT, attributes=attributes(statement))

    @lru_cache(maxsize=1024)  # the same few statements run again and again (SQLAlchemy caches their text)
    def attributes(statement: str) -> AttributeSet:
        return AttributeSet({**base, "db.statement": statement})  # checked and encoded once, not per span

    @lru_cache(maxsize=1024)
    def span_name(statement: str) -> str:
        words = _LEADING_COMMENT.sub("", statement, count=1).split(maxsplit=1)
        return (words[0] if words else str(base["db.system"])) + suffix

    children: dict[tuple[str, str], Any] = {}  # histogram children by labels: .labels() locks on every call

    def histogram_child(statement: str) -> Any:
        labels = statement_labels(statement)
        child = children.get(labels)
        if child is None:
            child = children[labels] = metrics.db_client_operation_duration.labels(*labels)
        return child

    def traced(execute: Callable[..., None]) -> Callable[..., bool]:
        def listener(cursor: Any, statement: str, *rest: Any) -> bool:
            span = start_span(statement) if traces else None
            if span is None and not timed:
                return False  # not handled here: SQLAlchemy runs the statement as usual
            started = time.perf_counter()
            try:
                execute(cursor, statement, *rest)
            except BaseException as exc:
                if span is not None:
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    span.end()
                raise
            finally:
                if timed:
                    ctx = span.get_span_context() if span is not None else None
                    metrics.observe_latency(histogram_child(statement), time.perf_counter() - started, ctx)
            if span is not None:
                span.end()
            return True  # handled: the statement has run

        return listener

    dialect = sync_engine.dialect
    event.listen(sync_engine, "do_execute", traced(dialect.do_execute))
    event.listen(sync_engine, "do_execute_no_params", traced(dialect.do_execute_no_params))
    event.listen(sync_engine, "do_executemany", traced(dialect.do_executemany))


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
