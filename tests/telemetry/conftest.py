"""Fixtures for telemetry tests: spans recorded in this process, local OTLP and Sentry receivers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from telemetry import tracing
from tests.support import LiveServer
from tests.telemetry.receivers import OtlpReceiver, SentryReceiver, serving


class SpanRecorder(SpanExporter):
    """Keeps the spans this process finishes, only while a test asks for them (the suite makes many)."""

    def __init__(self) -> None:
        self._spans: list[ReadableSpan] = []
        self._active = False
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            if self._active:
                self._spans.extend(spans)
        return SpanExportResult.SUCCESS

    def start(self) -> None:
        with self._lock:
            self._spans.clear()
            self._active = True

    def stop(self) -> None:
        with self._lock:
            self._active = False
            self._spans.clear()

    @property
    def spans(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._spans)


_recorder: SpanRecorder | None = None


@pytest.fixture
def spans(server: LiveServer) -> Iterator[SpanRecorder]:
    """Spans finished in this process during the test (the live server has configured tracing by now)."""
    global _recorder
    if _recorder is None:
        _recorder = SpanRecorder()
        tracing.add_span_processor(SimpleSpanProcessor(_recorder))
    _recorder.start()
    yield _recorder
    _recorder.stop()


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with serving(OtlpReceiver()) as receiver:
        yield receiver


@pytest.fixture
def sentry_receiver() -> Iterator[SentryReceiver]:
    with serving(SentryReceiver()) as receiver:
        yield receiver
