"""Request body limits as pure ASGI middleware: total size (413) and JSON nesting depth (422).

The size is checked from Content-Length before anything is read, and again while reading, so a chunked
body without Content-Length cannot slip past. Bodies are read here (at most the limit) and replayed to the
application, which buffers them anyway to parse JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware.responses import send_error

DRAIN_SECONDS = 10.0
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than `max_depth`, without parsing it.

    Strings are dropped (brackets inside them do not count), then each pass removes the innermost empty
    pairs, one nesting level per pass; anything left after `max_depth` passes is deeper than allowed.
    All work is done by the regex engine, so a 10 MB body is checked in milliseconds.
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = _INNERMOST_PAIR.sub(b"", brackets)
    return bool(brackets)


def _is_json(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _is_utf8(body: bytes) -> bool:
    # JSON on the wire is UTF-8 (RFC 8259); anything else would otherwise surface as a bare 400 from the parser.
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` (413) and JSON nested deeper than `max_depth` (422)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *, more_body: bool) -> None:
        if more_body:
            await _discard_rest(receive, budget=self.max_bytes)
        megabytes = self.max_bytes / (1024 * 1024)
        await send_error(
            scope,
            receive,
            send,
            status_code=413,
            code="payload_too_large",
            message=f"The request body is larger than the {megabytes:g} MB this service accepts.",
            # Part of the body may be left unread, so this connection cannot carry another request.
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send, more_body=int(declared) <= 2 * self.max_bytes)
            return

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before sending its whole body; let the application see that.
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send, more_body=more)
                return
            chunks.append(chunk)
        body = b"".join(chunks)

        if _is_json(headers) and not _is_utf8(body):
            await send_error(
                scope,
                receive,
                send,
                status_code=422,
                code="invalid_input",
                message="The JSON body is not valid UTF-8 text.",
            )
            return
        if _is_json(headers) and json_depth_exceeds(body, self.max_depth):
            await send_error(
                scope,
                receive,
                send,
                status_code=422,
                code="invalid_input",
                message=f"The JSON body nests deeper than {self.max_depth} levels.",
            )
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


async def _discard_rest(receive: Receive, *, budget: int) -> None:
    """Read and drop what is left of a refused body, within bounds, so the client can read our answer.

    Closing a socket with unread data in it makes the kernel reset the connection, and most clients then
    report a network error instead of the 413. Past `budget` bytes or DRAIN_SECONDS we stop and let it reset.
    """
    drained = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while drained <= budget:
                message = await receive()
                if message["type"] != "http.request":
                    return
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
