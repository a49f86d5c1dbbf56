"""The fast path and the stock SDK (TELEMETRY_FAST_PATH) make the same server spans.

`make test` runs tests/telemetry once in each mode; these tests hold the mode the process runs in to the
names, attributes and exclusions the other mode gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import Tracer
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.http import parse_excluded_urls

import telemetry
from app.core.config import Settings
from telemetry import stock
from telemetry.spans import LightTracer
from tests.support import LiveServer
from tests.telemetry.conftest import SpanRecorder


def fast_path() -> bool:
    config = telemetry.current_config()
    assert config is not None, "the live server has configured telemetry"
    return config.fast_path


@pytest.fixture
async def small_app(server: LiveServer, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A FastAPI application set up as the API is, with a route that fails, served in this process."""
    app = FastAPI(telemetry=telemetry.fastapi_options())

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the handler fails")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    telemetry.setup(app, settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def server_spans(recorder: SpanRecorder) -> list[trace.Span]:
    return [s for s in recorder.spans if s.kind == SpanKind.SERVER]  # type: ignore[misc]


def test_the_mode_decides_whose_tracer_makes_the_spans(server: LiveServer) -> None:
    tracer = trace.get_tracer("tests.modes")
    assert type(tracer) is (LightTracer if fast_path() else Tracer)


async def test_a_request_gets_one_server_span_named_by_its_route_with_the_stable_http_attributes(
    small_app: httpx.AsyncClient, spans: SpanRecorder
) -> None:
    response = await small_app.get("/items/7", headers={"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"})
    assert response.status_code == 200
    (span,) = server_spans(spans)
    assert span.name == "GET /items/{item_id}"
    assert format(span.parent.span_id, "016x") == "cd" * 8
    expected = {
        "http.request.method": "GET",
        "url.path": "/items/7",
        "url.scheme": "http",
        "network.protocol.version": "1.1",
        "http.route": "/items/{item_id}",
        "http.response.status_code": 200,
    }
    assert {key: span.attributes.get(key) for key in expected} == expected
    assert "error.type" not in span.attributes
    assert span.status.status_code == StatusCode.UNSET
    # Only the server span in its trace: no per-message receive/send spans.
    assert [s.name for s in spans.spans if s.context.trace_id == span.context.trace_id] == ["GET /items/{item_id}"]


async def test_an_error_the_handler_raises_names_its_type_on_the_server_span(
    small_app: httpx.AsyncClient, spans: SpanRecorder
) -> None:
    response = await small_app.get("/boom")
    assert response.status_code == 500
    (span,) = server_spans(spans)
    assert span.name == "GET /boom"
    assert span.attributes["http.route"] == "/boom"
    assert span.attributes["http.response.status_code"] == 500
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.status.status_code == StatusCode.ERROR
    assert [event.attributes["exception.type"] for event in span.events if event.name == "exception"] == [
        "RuntimeError"
    ]


async def test_an_unmatched_path_is_named_by_its_method_alone(
    small_app: httpx.AsyncClient, spans: SpanRecorder
) -> None:
    assert (await small_app.get("/no/such/page")).status_code == 404
    (span,) = server_spans(spans)
    assert span.name == "GET"
    assert "http.route" not in span.attributes
    assert span.attributes["http.response.status_code"] == 404


async def test_probes_and_scrapes_are_not_traced(small_app: httpx.AsyncClient, spans: SpanRecorder) -> None:
    assert (await small_app.get("/health")).status_code == 200
    assert (await small_app.get("/metrics")).status_code == 200
    assert (await small_app.get("/health/ready")).status_code == 404  # not a route here; untraced all the same
    assert (await small_app.get("/items/1")).status_code == 200
    assert [s.name for s in server_spans(spans)] == ["GET /items/{item_id}"]


def test_stock_mode_excludes_only_the_untraced_paths() -> None:
    patterns = stock.excluded_urls(frozenset({"/metrics", "/health"}))
    excluded = parse_excluded_urls(patterns)
    assert excluded.url_disabled("http://127.0.0.1:8000/metrics")
    assert excluded.url_disabled("https://api.example.com/health")
    assert not excluded.url_disabled("http://127.0.0.1:8000/api/v1/metrics")
    assert not excluded.url_disabled("http://127.0.0.1:8000/health/extra")
