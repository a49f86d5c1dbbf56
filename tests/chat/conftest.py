"""Chat fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from telemetry import tracing
from tests.chat.helpers import fake_gemini
from tests.support import LiveServer


@pytest.fixture(scope="session")
def fake_gemini_url() -> Iterator[str]:
    """A well-behaved fake Gemini, shared by the session."""
    with fake_gemini() as url:
        yield url


class SpanLog:
    """The spans this process finishes while a test watches (the live servers run in this process)."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()

    def start(self) -> None:
        self.exporter.clear()

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


_span_log: SpanLog | None = None


@pytest.fixture
def span_log(server: LiveServer) -> Iterator[SpanLog]:
    """Spans recorded during the test; the shared server has configured tracing by the time this runs."""
    global _span_log
    if _span_log is None:
        _span_log = SpanLog()
        tracing.add_span_processor(SimpleSpanProcessor(_span_log.exporter))
    _span_log.start()
    yield _span_log
    _span_log.start()
