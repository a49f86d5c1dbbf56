"""Telemetry: traces, metrics, logs and error reporting, configured in one place.

`setup(app, settings)` for an ASGI application (the API, or the standalone MCP server's app);
`setup_process(settings, service_name=...)` for a process without one; `instrument_engine(engine)` where a
database engine is built. All three are idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig as FastAPITelemetryConfig
from starlette.applications import Starlette
from starlette.routing import Route

from telemetry import conventions as c
from telemetry import database, exposition, logs, sentry, series, tracing
from telemetry.config import TelemetryConfig, TelemetrySettings
from telemetry.database import instrument_engine
from telemetry.middleware import UNTRACED_PATHS, TelemetryMiddleware, user_hasher

__all__ = [
    "TelemetryConfig",
    "current_config",
    "fastapi_options",
    "initialise_series",
    "instrument_engine",
    "setup",
    "setup_process",
]

log = structlog.get_logger(__name__)

_lock = threading.Lock()
_config: TelemetryConfig | None = None
_APP_MARK = "todochat_telemetry"


def setup_process(
    settings: TelemetrySettings, *, service_name: str = c.SERVICE_NAME, log_json: bool | None = None
) -> TelemetryConfig:
    """Configure this process's logging, tracing, metrics and Sentry from the settings and OTEL_* variables.

    Calling it again with the same configuration does nothing; a changed log level or Sentry DSN is applied;
    the tracer provider stays the first one (OpenTelemetry allows one per process).
    """
    global _config
    config = TelemetryConfig.resolve(settings, service_name=service_name, log_json=log_json)
    with _lock:
        if config == _config:
            return config
        logs.configure(config)
        tracing.configure(config)
        sentry.configure(config)
        database.enable_metrics(config.metrics)
        if config.metrics:
            if config.multiprocess_dir:
                exposition.retire_dead_processes(config.multiprocess_dir)
            exposition.set_process_gauges()
        _config = config
    log.debug(
        "telemetry_configured",
        service=config.service_name,
        tracing=config.tracing,
        otlp=config.otlp_traces_endpoint is not None,
        metrics=config.metrics,
        sentry=config.sentry_dsn is not None,
    )
    return config


def setup(app: Starlette, settings: TelemetrySettings, *, service_name: str = c.SERVICE_NAME) -> TelemetryConfig:
    """Configure the process (see setup_process), wrap `app` in the telemetry middleware and serve /metrics."""
    config = setup_process(settings, service_name=service_name)
    if getattr(app.state, _APP_MARK, False):
        return config
    setattr(app.state, _APP_MARK, True)
    if config.metrics:
        app.router.routes.insert(
            0,
            Route(
                exposition.METRICS_PATH, exposition.MetricsEndpoint().handle, methods=["GET"], include_in_schema=False
            ),
        )
    secret = getattr(settings, "secret_key", None)
    reveal = getattr(secret, "get_secret_value", None)
    secret_value = str(reveal()) if callable(reveal) else str(secret or "")
    hasher = user_hasher(secret_value)
    if config.tracing and not config.fast_path:
        from telemetry import stock

        if not isinstance(app, FastAPI):
            raise TypeError("TELEMETRY_FAST_PATH=false traces FastAPI applications only")
        stock.instrument(app, tracing.provider(), UNTRACED_PATHS)
    build_stack = app.build_middleware_stack

    def build_with_telemetry() -> Any:
        # Outside Starlette's ServerErrorMiddleware, so unhandled errors are measured and answered with
        # X-Request-ID as well; add_middleware would place it inside.
        return TelemetryMiddleware(
            build_stack(),
            tracing=config.tracing,
            fast_path=config.fast_path,
            record_metrics=config.metrics,
            user_hash=hasher,
            report_errors=config.sentry_dsn is not None,
        )

    app.build_middleware_stack = build_with_telemetry  # type: ignore[method-assign]  # see comment above
    return config


def initialise_series(app: Starlette, *, model: tuple[str, str] | None = None) -> int:
    """Create at zero every series the SLOs select (see telemetry.series), once the app's routes are all known.

    `model` is the chat model's (provider, model name). Returns how many label children were made; 0 when
    this process records no metrics.
    """
    if _config is None or not _config.metrics:
        return 0
    made = series.initialise_http(app) + series.initialise_tools()
    if model is not None:
        made += series.initialise_model(*model)
    log.debug("metric_series_initialised", children=made)
    return made


def fastapi_options() -> FastAPITelemetryConfig:
    """Options for `FastAPI(telemetry=...)`: FastAPI's native OpenTelemetry support switched off.

    The telemetry middleware (or, off the fast path, opentelemetry-instrumentation-fastapi) opens the HTTP
    server span instead, since FastAPI's native span costs more CPU per request (docs/performance.md). A
    FastAPI application given to `setup` must be built with these options, or each request gets two server spans.
    """
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False, "exclude": _untraced}


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


def current_config() -> TelemetryConfig | None:
    """The configuration this process runs with, once set up."""
    return _config
