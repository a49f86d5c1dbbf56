"""The HTTP edge of telemetry, as one pure ASGI middleware (no BaseHTTPMiddleware: it costs throughput).

Per request it: continues or starts the trace (W3C `traceparent`) with one server span (no per-message
receive/send spans); records the duration histogram by route template, method and status class with the
trace id as exemplar; tracks requests in flight; sets `request.state.request_id` (from a sane `X-Request-ID`,
else a new one) and returns it as `X-Request-ID`; and writes one canonical log line.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry import conventions as c
from telemetry import metrics
from telemetry import sentry as sentry_hooks
from telemetry.spans import AttributeSet

log = structlog.get_logger("todochat.http")

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_PROPAGATION_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate", b"baggage": "baggage"}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
UNTRACED_PATHS = frozenset({"/metrics"})
# Streams that stay open for as long as a tab does: their latency is the time to the response's start, and they are
# in flight only until then, so an hour-long subscription is not an hour-long request on the SLO's histogram.
LONG_LIVED_PATHS = frozenset({"/api/v1/events"})


def route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template (`/api/v1/tasks/{task_id}`), never the raw path; unmatched is fixed."""
    # FastAPI resolves the full template of routes in included routers and mounts for its own span; the
    # Starlette route left in the scope only knows its path relative to its router.
    native = scope.get("fastapi.telemetry")
    native_route = getattr(native, "route", None)
    if isinstance(native_route, str):
        return native_route
    effective = scope.get("fastapi", {}).get("effective_route_context")
    effective_path = getattr(effective, "path_format", None)
    route = scope.get("route")
    if isinstance(effective_path, str) and not isinstance(route, Mount):
        return str(scope.get("app_root_path", root_path)).rstrip("/") + effective_path
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return c.ROUTE_UNMATCHED
    mounted = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):
        return f"{mounted}/{{path}}"
    return f"{mounted}{path}" or "/"


def user_hasher(secret: str) -> Callable[[object], str]:
    """A keyed, stable, short hash of a user id: logs can group by user without naming anyone."""
    key = hashlib.sha256(b"todochat-user-hash:" + secret.encode()).digest()

    @lru_cache(maxsize=4096)
    def user_hash(user_id: object) -> str:
        return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]

    return user_hash


class TelemetryMiddleware:
    """Wraps the whole application (outside its error handling, so 500s are seen as the client sees them).

    `tracing` makes it open the HTTP server span (FastAPI's native span is switched off by
    `telemetry.fastapi_options()`, so there is one server span per request).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracing: bool,
        record_metrics: bool,
        user_hash: Callable[[object], str],
        report_errors: bool = False,
    ) -> None:
        self.app = app
        self.tracing = tracing
        self.record_metrics = record_metrics
        self.user_hash = user_hash
        self.report_errors = report_errors
        self.tracer = trace.get_tracer("todochat.http")
        # The duration histogram's children by label values (bounded: route templates, methods, status classes);
        # Histogram.labels validates and locks on every call.
        self._duration_children: dict[tuple[str, str, str], Any] = {}
        self._in_flight = metrics.gauge_value(metrics.http_server_active_requests)

    @staticmethod
    @lru_cache(maxsize=1024)  # raw paths are many: the least recently seen make way
    def _start_attributes(method: str, path: str, scheme: str, version: str) -> AttributeSet:
        return AttributeSet(
            {"http.request.method": method, "url.path": path, "url.scheme": scheme, "network.protocol.version": version}
        )

    @staticmethod
    @lru_cache(maxsize=1024)  # route templates and status codes: a bounded few
    def _end_attributes(route: str, status: int) -> AttributeSet:
        if route == c.ROUTE_UNMATCHED:
            return AttributeSet({"http.response.status_code": status})
        return AttributeSet({"http.route": route, "http.response.status_code": status})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id: bytes | None = None
        carrier: dict[str, str] | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                request_id = value if _SANE_REQUEST_ID.fullmatch(value) else None
            elif name in _PROPAGATION_HEADERS:
                if carrier is None:
                    carrier = {}
                carrier[_PROPAGATION_HEADERS[name]] = value.decode("latin-1")
        if request_id is None:
            request_id = os.urandom(16).hex().encode()
        rid = request_id.decode("latin-1")
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        method = scope["method"] if scope["method"] in _METHODS else "_OTHER"
        root_path = scope.get("root_path", "")
        path: str = scope["path"]

        span = None
        token = None
        if self.tracing and path not in UNTRACED_PATHS:
            parent = propagate.extract(carrier) if carrier else None
            span = self.tracer.start_span(
                method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes=self._start_attributes(
                    method, path, scope.get("scheme", "http"), scope.get("http_version", "1.1")
                ),
            )
            token = otel_context.attach(trace.set_span_in_context(span))
        log_tokens = structlog.contextvars.bind_contextvars(request_id=rid)
        if self.record_metrics:
            self._in_flight.inc(1)

        status = 0
        long_lived = path in LONG_LIVED_PATHS
        answered: float | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
                if long_lived and self.record_metrics:
                    answered = time.perf_counter()
                    self._in_flight.inc(-1)
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_request_id)
        except BaseException as exc:
            error = exc
            if self.report_errors:
                sentry_hooks.report_request_error(exc)
            raise
        finally:
            self._finish(scope, state, span, method, root_path, status, error, started, answered)
            structlog.contextvars.reset_contextvars(**log_tokens)
            if token is not None:
                otel_context.detach(token)

    def _finish(
        self,
        scope: Scope,
        state: dict[str, Any],
        span: Any,
        method: str,
        root_path: str,
        status: int,
        error: BaseException | None,
        started: float,
        answered: float | None = None,
    ) -> None:
        if status == 0:
            status = 500  # nothing was sent: the client sees the connection fail
        duration = (answered if answered is not None else time.perf_counter()) - started
        route = route_template(scope, root_path)
        status_class = metrics.status_class(status)
        if span is not None:
            if route != c.ROUTE_UNMATCHED:
                span.update_name(f"{method} {route}")
            span.set_attributes(self._end_attributes(route, status))
            if error is not None:
                span.record_exception(error)
            if status >= 500:
                span.set_attribute("error.type", type(error).__qualname__ if error is not None else str(status))
                span.set_status(StatusCode.ERROR)
            span.end()
        if self.record_metrics:
            if answered is None:
                self._in_flight.inc(-1)
            labels = (route, method, status_class)
            child = self._duration_children.get(labels)
            if child is None:
                child = self._duration_children[labels] = metrics.http_server_duration.labels(*labels)
            metrics.observe_latency(child, duration, span.get_span_context() if span is not None else None)
        user_id = state.get("user_id")
        log.info(
            "request",
            http_method=method,
            http_route=route,
            http_status=status,
            duration_ms=round(duration * 1000, 2),
            user_hash=self.user_hash(user_id) if user_id is not None else None,
        )
