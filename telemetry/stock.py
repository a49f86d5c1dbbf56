"""The HTTP server span without the fast path: opentelemetry-instrumentation-fastapi's, named as ours.

With TELEMETRY_FAST_PATH=false the instrumentation opens and ends the server span (no receive/send spans; the
probes and /metrics untraced), and telemetry.middleware gives it the fast path's name, route and error type
when the response starts, the last moment the span is still open.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span
from starlette.types import ASGIApp, Receive, Scope, Send

from telemetry.middleware import SERVER_ERROR, SERVER_SPAN


def instrument(app: FastAPI, provider: TracerProvider | None, untraced: frozenset[str]) -> None:
    """Have the instrumentation open the server span of `app`'s requests, except for the `untraced` paths.

    Call it before telemetry.middleware wraps the application: the instrumentation expects Starlette's own
    middleware stack.
    """
    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=_remember_span,
        tracer_provider=provider,
        excluded_urls=excluded_urls(untraced),
        exclude_spans=["receive", "send"],
    )
    app.add_middleware(_RememberError)


def excluded_urls(paths: frozenset[str]) -> str:
    """The instrumentation's `excluded_urls` for exactly these paths: it searches scheme://host:port/path."""
    return ",".join(f"^[a-z]+://[^/]+{re.escape(path)}$" for path in sorted(paths))  # a comma would split one


def _remember_span(span: Span, scope: dict[str, Any]) -> None:
    scope[SERVER_SPAN] = span


class _RememberError:
    """Keeps the exception an application raised in the scope: the 500 it becomes is answered (and the span
    given its status) before the exception reaches telemetry.middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            scope[SERVER_ERROR] = error
            raise
