"""Error answers sent straight from ASGI middleware, in the one JSON error shape the routes use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from app.api.errors import error_response


async def send_error(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    status_code: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer the request with `{"error": {"code", "message", "details", "request_id"}}`."""
    response = error_response(Request(scope), status_code, code, message, headers=headers)
    await response(scope, receive, send)
