"""The HTTP edge of telemetry, as one pure ASGI middleware (no BaseHTTPMiddleware: it costs throughput).

Per request it: continues or starts the trace (W3C `traceparent`) with one server span (no per-message
receive/send spans), or, off the fast path, names the one opentelemetry-instrumentation-fastapi opens
(telemetry.stock) the same way; records the duration histogram by route template, method and status class with the
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
from contextvars import Token
from functools import lru_cache
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
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
# Probes and scrapes: a trace every few seconds per probe, of nothing a user did.
UNTRACED_PATHS = frozenset({"/metrics", "/health", "/health/ready"})
# Off the fast path, where telemetry.stock leaves the instrumentation's server span, and an error the application
# raised (answered with a 500 before it reaches this middleware).
SERVER_SPAN = "todochat.server_span"
SERVER_ERROR = "todochat.server_error"
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
    `telemetry.fastapi_options()`, so there is one server span per request); with `fast_path` false the
    instrumentation opens it instead (telemetry.stock) and this middleware only names it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracing: bool,
        record_metrics: bool,
        fast_path: bool = True,
        user_hash: Callable[[object], str],
        report_errors: bool = False,
    ) -> None:
        self.app = app
        self.tracing = tracing and fast_path
        self.name_stock_span = tracing and not fast_path
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

    def _name_span(self, span: Any, method: str, route: str, status: int, error: BaseException | None) -> None:
        """The server span's name, route, status code and error type, the same in both modes."""
        span.update_name(f"{method} {route}" if route != c.ROUTE_UNMATCHED else method)
        span.set_attributes(self._end_attributes(route, status))
        if status >= 500:
            span.set_attribute("error.type", type(error).__qualname__ if error is not None else str(status))

    def _name_stock_span(self, scope: Scope, method: str, root_path: str, status: int) -> None:
        # The instrumentation has set the status code (and an error status) and ends the span with the body.
        span = scope.get(SERVER_SPAN)
        if span is not None and span.is_recording():
            self._name_span(span, method, route_template(scope, root_path), status, scope.get(SERVER_ERROR))

    @staticmethod
    def _enter_stock_span(scope: Scope) -> Token[Context] | None:
        # The instrumentation's span has ended, and its context with it: made current again for the request's
        # log line and error report, so they carry its trace id as on the fast path.
        span = scope.get(SERVER_SPAN)
        return otel_context.attach(trace.set_span_in_context(span)) if span is not None else None

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
        token: Token[Context] | None = None
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
                if self.name_stock_span:
                    self._name_stock_span(scope, method, root_path, status)
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
            if token is None and self.name_stock_span:
                token = self._enter_stock_span(scope)
            if self.report_errors:
                sentry_hooks.report_request_error(exc)
            raise
        finally:
            if token is None and self.name_stock_span:
                token = self._enter_stock_span(scope)
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
            self._name_span(span, method, route, status, error)
            if error is not None:
                span.record_exception(error)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
            span.end()
        elif self.name_stock_span:
            span = scope.get(SERVER_SPAN)  # ended by now: read for the exemplar only
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
