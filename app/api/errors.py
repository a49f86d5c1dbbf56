"""Translate exceptions into the one JSON error shape. No stack trace leaves the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, DatabaseUnavailable
from app.schemas.common import readable

log = structlog.get_logger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "service_unavailable",
}


@dataclass(frozen=True, slots=True)
class Failure:
    """An error as the client sees it: the one shape of JSON answers and of the chat stream's `error` event."""

    status_code: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


INTERNAL = "Something went wrong on our side; it has been logged."


def failure_of(exc: Exception) -> Failure:
    """The one translation of an exception for a client; unexpected ones are logged (and so reach Sentry) here."""
    if isinstance(exc, AppError):
        headers = dict(exc.headers)
        if exc.status_code == 503:
            # Every "unavailable" answer tells clients when to come back, whichever dependency is away.
            headers.setdefault("Retry-After", "5")
        return Failure(exc.status_code, exc.code, exc.message, headers)
    if _database_away(exc):
        log.warning("database_unavailable", error=type(exc).__name__)
        return failure_of(DatabaseUnavailable("The database is unavailable right now; try again in a few seconds."))
    log.exception("unhandled_error", exc_info=exc)
    return Failure(500, "internal_error", INTERNAL)


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": details or [],
            "request_id": getattr(request.state, "request_id", None),
        }
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


def failure_response(request: Request, failure: Failure) -> JSONResponse:
    return error_response(request, failure.status_code, failure.code, failure.message, headers=failure.headers or None)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[-1] if loc else "")


async def _failure(request: Request, exc: Exception) -> JSONResponse:
    return failure_response(request, failure_of(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [
        {"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "")).removeprefix("Value error, ")}
        for e in errors
    ]
    summary = readable(errors)
    return error_response(request, 422, "invalid_input", f"The request is not valid: {summary}", details=details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, code, str(exc.detail), headers=headers)


def _database_away(exc: Exception) -> bool:
    # Connection-level failures are the database being away; any other database error is a bug and must surface.
    if isinstance(exc, (PoolTimeout, ConnectionError)):
        return True
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or _is_connection_error(exc))


def _is_connection_error(exc: DBAPIError) -> bool:
    # SQLAlchemy wraps asyncpg's CannotConnectNowError ("the database system is shutting down") in a generic
    # asyncpg.Error, so the driver's own exception is found by walking the cause chain. SQLSTATE class 08 is
    # "connection exception"; 57P01-57P03 are admin/crash shutdown and "cannot connect now".
    seen: BaseException | None = exc.orig
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OSError):
            return True
        sqlstate = str(getattr(seen, "sqlstate", "") or "")
        if sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}:
            return True
        text = f"{type(seen).__name__} {seen}".lower()
        markers = ("connect", "connection", "shutting down", "starting up", "terminat", "closed", "refused")
        if any(marker in text for marker in markers):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in (AppError, DBAPIError, PoolTimeout, ConnectionError, Exception):
        app.add_exception_handler(kind, _failure)
