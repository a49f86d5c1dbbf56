"""structlog, configured once: JSON lines off a TTY, a readable console on one, stdlib and uvicorn included.

Every line inside a request carries `request_id` (bound by the middleware), `trace_id` and `span_id` (read
from the current OpenTelemetry span when the line is written), and `conversation_id` when the chat binds it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import sentry_sdk
import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from telemetry.config import TelemetryConfig
from telemetry.spans import IS_VALID, SPAN_ID, TRACE_ID, span_context_in

_HANDLER_MARK = "_todochat_handler"
_ERROR_METHODS = frozenset({"error", "exception", "critical", "fatal"})
# Loggers that install their own handlers (uvicorn's dictConfig): route them through the root pipeline instead.
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "mcp", "sqlalchemy", "alembic")


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Add the current span's trace and span ids, so a log line opens its trace."""
    ctx = span_context_in()
    if ctx[IS_VALID]:  # the fields without property calls
        event_dict["trace_id"] = format(ctx[TRACE_ID], "032x")
        event_dict["span_id"] = format(ctx[SPAN_ID], "016x")
    return event_dict


def report_to_sentry(_logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """Send errors logged with an exception to Sentry.

    Error handlers that answer 500 themselves (instead of letting the exception escape) log it; without this
    Sentry would never hear of those. Sentry's dedupe drops the second report when the exception escapes too.
    """
    if method in _ERROR_METHODS and event_dict.get("exc_info"):
        exc_info = event_dict["exc_info"]
        error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if isinstance(exc_info, tuple) and len(exc_info) == 3:
            error = exc_info[1]
        if error is not None and sentry_sdk.get_client().is_active():
            sentry_sdk.capture_exception(error)
    return event_dict


def _shared_processors(json: bool) -> list[Processor]:
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
        report_to_sentry,
    ]
    if json:
        # Locals stay out of logs: they can hold passwords, tokens and message text.
        processors.append(structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)))
    return processors


def configure(config: TelemetryConfig) -> None:
    """Configure structlog and the stdlib root logger to write through the same processors."""
    level = logging.getLevelNamesMapping().get(config.log_level, logging.INFO)
    shared = _shared_processors(config.log_json)
    renderer: Processor = (
        structlog.processors.JSONRenderer() if config.log_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(),
        # Not cached: tests swap the configuration (structlog.testing.capture_logs) after modules bound loggers.
        cache_logger_on_first_use=False,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)

    root = logging.getLogger()
    # Libraries that call logging.basicConfig before us (MCPServer installs a RichHandler) would print every
    # line a second time in their own format; pytest's capture handlers stay.
    for old in [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    # uvicorn's access_log=False empties the logger and stops propagation; routing it to the root would turn a
    # second line per request back on (our canonical line already says everything it would).
    access_off = not access.propagate and not access.handlers
    for name in _ROUTED_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    access.propagate = not access_off
    # SQL statements, mapper set-up and per-message MCP chatter at INFO would drown every request; the
    # statements are in the traces.
    logging.getLogger("sqlalchemy").setLevel(max(level, logging.WARNING))
    logging.getLogger("mcp").setLevel(max(level, logging.WARNING))
    access.setLevel(max(level, logging.INFO))


def get_logger(name: str) -> Any:
    """A structlog logger (the same as structlog.get_logger, here so callers need one import)."""
    return structlog.get_logger(name)
