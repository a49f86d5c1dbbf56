"""SQL statement spans, on SQLite and PostgreSQL: one CLIENT span per statement under the current span."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry import context, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.instrumentation.utils import _SUPPRESS_INSTRUMENTATION_KEY_PLAIN
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from telemetry import instrument_engine, tracing
from tests.telemetry.conftest import SpanRecorder


@pytest.fixture
async def engine(database_url: str, spans: SpanRecorder) -> AsyncIterator[AsyncEngine]:
    """An engine of its own, with statement tracing on (tracing is configured by the live server's set-up)."""
    made = instrument_engine(create_async_engine(database_url), traces=True, pool_metrics=False)
    async with made.connect() as conn:  # the dialect's first-connect queries run now, outside the tests' spans
        await conn.execute(text("SELECT 1"))
    yield made
    await made.dispose()


def statements(recorder: SpanRecorder, parent: ReadableSpan | None = None) -> list[ReadableSpan]:
    found = [s for s in recorder.spans if "db.statement" in (s.attributes or {})]
    if parent is not None:
        found = [s for s in found if s.parent is not None and s.parent.span_id == parent.context.span_id]
    return found


def parent_span(recorder: SpanRecorder, name: str) -> ReadableSpan:
    return next(s for s in recorder.spans if s.name == name)


async def test_each_statement_is_a_client_span_under_the_current_span(engine: AsyncEngine, spans: SpanRecorder) -> None:
    with tracing.tracer().start_as_current_span("work"):
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            await conn.execute(text("/* a comment */ SELECT CAST(:n AS INTEGER)"), {"n": 2})
    work = parent_span(spans, "work")
    found = statements(spans, work)
    first, second = (str(s.attributes["db.statement"]) for s in found)
    assert first == "SELECT 1"
    assert second.startswith("/* a comment */ SELECT CAST(")  # as sent: the placeholder is the driver's
    database = engine.url.database
    for span in found:
        assert span.kind is SpanKind.CLIENT
        assert span.name == f"SELECT {database}"  # the leading comment is not the operation
        assert span.attributes["db.system"] == engine.dialect.name
        assert span.status.status_code is StatusCode.UNSET
        assert span.context.trace_id == work.context.trace_id
    # Tracing statements keeps the engine off SQLAlchemy's per-connection event path (its cost is per request).
    assert not engine.sync_engine._has_events


async def test_a_failing_statement_marks_its_span_and_still_raises(engine: AsyncEngine, spans: SpanRecorder) -> None:
    with tracing.tracer().start_as_current_span("work"):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text("SELECT * FROM no_such_table"))
    (failed,) = statements(spans, parent_span(spans, "work"))
    assert failed.status.status_code is StatusCode.ERROR
    assert "no_such_table" in (failed.status.description or "")
    assert failed.end_time is not None


async def test_executemany_is_traced(engine: AsyncEngine, spans: SpanRecorder) -> None:
    with tracing.tracer().start_as_current_span("work"):
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE scratch_rows (n INTEGER)"))
            await conn.execute(text("INSERT INTO scratch_rows (n) VALUES (:n)"), [{"n": 1}, {"n": 2}, {"n": 3}])
            assert (await conn.execute(text("SELECT count(*) FROM scratch_rows"))).scalar_one() == 3
    names = [s.name.split()[0] for s in statements(spans, parent_span(spans, "work"))]
    assert names[0] == "CREATE"
    assert "INSERT" in names
    assert names[-1] == "SELECT"


async def test_no_statement_span_under_an_unsampled_parent(engine: AsyncEngine, spans: SpanRecorder) -> None:
    unsampled = SpanContext(trace_id=0x1234, span_id=0x99, is_remote=True, trace_flags=TraceFlags(0))
    with trace.use_span(NonRecordingSpan(unsampled)):
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    assert [s for s in statements(spans) if s.context.trace_id == 0x1234] == []
    assert [s for s in statements(spans) if "41 + 1" in str((s.attributes or {})["db.statement"])] == []


@pytest.mark.parametrize("key", ["current", "plain"])
async def test_no_statement_span_while_instrumentation_is_suppressed(
    engine: AsyncEngine, spans: SpanRecorder, key: str
) -> None:
    # The exporters suppress instrumentation around their own work; both of the keys instrumentations honour.
    suppress = _SUPPRESS_INSTRUMENTATION_KEY if key == "current" else _SUPPRESS_INSTRUMENTATION_KEY_PLAIN
    with tracing.tracer().start_as_current_span("suppressed"):
        token = context.attach(context.set_value(suppress, True))
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        finally:
            context.detach(token)
    assert statements(spans, parent_span(spans, "suppressed")) == []
