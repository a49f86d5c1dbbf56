"""Sentry error reporting: events carry the OpenTelemetry trace id and no personal data."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from opentelemetry import trace
from sentry_sdk.integrations.argv import ArgvIntegration
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.scope import register_external_propagation_context
from sentry_sdk.types import Event

from telemetry.config import TelemetryConfig

TRACE_ID_TAG = "trace_id"
_TRACE_ID_ATTR = "__otel_trace_id__"

_configured: tuple[str | None, str, str] | None = None


def _otel_context() -> tuple[str, str] | None:
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def remember_trace(exc: BaseException) -> None:
    """Stamp an exception that is leaving the request span with that span's trace id.

    Sentry captures errors that escape the application outside the span, so the id travels on the exception.
    """
    ids = _otel_context()
    if ids is not None and not hasattr(exc, _TRACE_ID_ATTR):
        try:
            setattr(exc, _TRACE_ID_ATTR, ids[0])
        except AttributeError:  # exceptions with __slots__ cannot carry it; the event keeps Sentry's own id
            return


def before_send(event: Event, hint: dict[str, Any]) -> Event | None:
    """Tag the event with the trace id and drop anything that identifies a person."""
    trace_id: str | None = None
    ids = _otel_context()
    if ids is not None:
        trace_id = ids[0]
    exc_info = hint.get("exc_info")
    if trace_id is None and exc_info and len(exc_info) > 1:
        trace_id = getattr(exc_info[1], _TRACE_ID_ATTR, None)
    if trace_id is not None:
        event.setdefault("tags", {})[TRACE_ID_TAG] = trace_id
        event.setdefault("contexts", {}).setdefault("trace", {})["trace_id"] = trace_id
    # send_default_pii=False already keeps cookies, user and IP out; these could still name a person.
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"authorization", "cookie", "x-forwarded-for", "x-real-ip"}:
                    headers.pop(name)
    return event


def configure(config: TelemetryConfig, *, transport: Any = None) -> bool:
    """Start (or restart, when the DSN changed) the Sentry client; False when no DSN is set."""
    global _configured
    key = (config.sentry_dsn, config.environment, config.release)
    if _configured == key and transport is None:
        return config.sentry_dsn is not None
    if config.sentry_dsn is None:
        if _configured is not None and _configured[0] is not None:
            sentry_sdk.init(dsn=None)
        _configured = key
        return False
    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=config.sentry_dsn,
        environment=config.environment,
        release=config.release,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # Tracing is OpenTelemetry's job; Sentry's own transactions would double the per-request cost.
        traces_sample_rate=None,
        auto_session_tracking=False,  # release-health sessions per request cost more than they tell an API
        # Only what error reporting needs. Left out of the defaults: Stdlib (wraps every outgoing http.client
        # request, the OTLP exports included, and every subprocess) and Threading (wraps every thread).
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            # No methods "captured": Sentry then skips its per-request transaction; errors are still reported.
            StarletteIntegration(middleware_spans=False, http_methods_to_capture=()),
            FastApiIntegration(middleware_spans=False, http_methods_to_capture=()),
            LoggingIntegration(event_level=None),  # errors arrive as exceptions; log lines stay breadcrumbs
            DedupeIntegration(),  # an error both logged and escaping the request is reported once
            ExcepthookIntegration(),  # a crash outside any request
            AtexitIntegration(),  # queued events are sent before the process exits
            ModulesIntegration(),
            ArgvIntegration(),
        ],
        before_send=before_send,
        **options,
    )
    register_external_propagation_context(_otel_context)
    _configured = key
    return True
