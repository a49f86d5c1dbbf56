"""Sentry error reporting: events carry the OpenTelemetry trace id and no personal data."""

from __future__ import annotations

from typing import Any

import sentry_sdk
import structlog
from sentry_sdk.integrations.argv import ArgvIntegration
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.scope import register_external_propagation_context
from sentry_sdk.types import Event

from telemetry.config import TelemetryConfig
from telemetry.spans import IS_VALID, SPAN_ID, TRACE_ID, span_context_in

TRACE_ID_TAG = "trace_id"

_configured: tuple[str | None, str, str] | None = None


def _otel_context() -> tuple[str, str] | None:
    ctx = span_context_in()
    if not ctx[IS_VALID]:
        return None
    return format(ctx[TRACE_ID], "032x"), format(ctx[SPAN_ID], "016x")


def report_request_error(exc: BaseException) -> None:
    """Report an error that escaped a request, while its span is current (so the event carries the trace id).

    Errors that a handler answered with 500 were reported when it logged them (`logs.report_to_sentry`);
    Sentry's dedupe drops the second report of the same exception.
    """
    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(exc)


def before_send(event: Event, hint: dict[str, Any]) -> Event | None:
    """Tag the event with the trace id and drop anything that identifies a person."""
    ids = _otel_context()
    if ids is not None:
        trace_id = ids[0]
        event.setdefault("tags", {})[TRACE_ID_TAG] = trace_id
        event.setdefault("contexts", {}).setdefault("trace", {})["trace_id"] = trace_id
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if isinstance(request_id, str):
        event.setdefault("tags", {})["request_id"] = request_id
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
        # Only what error reporting needs, and nothing that runs on every request. Sentry's Starlette/FastAPI
        # integrations wrap the application and each middleware per request (docs/performance.md); the
        # telemetry middleware and the log pipeline report the same errors, from inside the request's span, at no
        # cost on the way through. No logging breadcrumbs either: without a scope per request they would mix
        # requests (and users) in one event;
        # the event's trace_id and request_id tags find the request's logs instead. Left out of the defaults
        # as well: Stdlib (wraps every http.client request and subprocess) and Threading (every thread).
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
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
