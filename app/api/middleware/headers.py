"""Security headers on every response, as pure ASGI middleware.

HTML gets a Content-Security-Policy that lets the statically exported UI run: Next.js inlines small
bootstrap scripts into each page, so their SHA-256 hashes are read from the built pages at start-up
instead of allowing inline scripts wholesale. Everything else (JSON, SSE, metrics) gets a policy that
allows nothing. HSTS is sent only when the request arrived over TLS, which behind a proxy uvicorn learns
from X-Forwarded-Proto.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from jsDelivr and start it with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
MAX_PAGES_SCANNED = 500

_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def inline_script_hashes(frontend_dir: Path | None) -> list[str]:
    """CSP source expressions (`'sha256-...'`) for every inline script in the built pages."""
    if frontend_dir is None or not frontend_dir.is_dir():
        return []
    hashes: set[str] = set()
    for count, page in enumerate(sorted(frontend_dir.rglob("*.html"))):
        if count >= MAX_PAGES_SCANNED:
            break
        for match in _INLINE_SCRIPT.finditer(page.read_bytes()):
            if match.group(1):
                digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
                hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def ui_csp(script_hashes: Iterable[str], connect_sources: Iterable[str] = ()) -> str:
    """The policy for the web UI's pages."""
    scripts = " ".join(["'self'", *script_hashes])
    connect = " ".join(["'self'", *connect_sources])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:; font-src 'self' data:; connect-src {connect}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL, or None when it has none."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


class SecurityHeadersMiddleware:
    """Adds nosniff, Referrer-Policy, frame denial, a CSP and (over TLS) HSTS, unless a route set its own."""

    def __init__(self, app: ASGIApp, *, ui_policy: str) -> None:
        self.app = app
        self.ui_policy = ui_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https"
        is_docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                is_html = any(
                    name.lower() == b"content-type" and value.lower().startswith(b"text/html")
                    for name, value in headers
                )
                policy = (DOCS_CSP if is_docs else self.ui_policy) if is_html else API_CSP
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", policy.encode()),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if over_tls:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                if message["status"] == 304:
                    # No body and no Content-Type: the browser keeps the stored page's policy, and the API
                    # policy sent here would replace it and block the UI's scripts after a reload.
                    wanted = [(name, value) for name, value in wanted if name != b"content-security-policy"]
                headers.extend((name, value) for name, value in wanted if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
