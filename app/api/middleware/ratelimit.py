"""Rate limiting as pure ASGI middleware: per user (from the access token, no database) or per client IP.

Requests that carry a valid access token count against their user; others against their address (uvicorn
already resolved X-Forwarded-For from trusted proxies into `client`). Signing in and chatting (which costs
model tokens) also spend a stricter quota. Only the API and MCP paths are limited: health checks, metrics
and the static UI are not.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware.responses import send_error
from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.ratelimit import Decision, Quota, RateLimiter
from app.core.security import decode_access_token
from app.mcp.internal import is_agent_request
from telemetry import metrics

LOGIN_PATH = "/api/v1/auth/login"
CHAT_PATHS = frozenset({"/api/v1/chat", "/api/v1/chat/stream"})
ACCESS_COOKIE = "access_token"


def is_limited(path: str) -> bool:
    """API and MCP requests are limited; health, metrics, docs and the static UI are not."""
    return path.startswith("/api/") or path == "/mcp" or path.startswith("/mcp/")


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """IETF draft RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) for one decision."""
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(max(decision.remaining, 0)),
        "RateLimit-Reset": str(decision.reset_seconds),
        "RateLimit-Policy": f"{decision.limit};w={decision.window_seconds}",
    }


class RateLimitMiddleware:
    """Refuses requests over their quota with 429 and `Retry-After`; labels the others with RateLimit-*."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _user_id(self, headers: Headers) -> str | None:
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = _cookie(headers.get("cookie", ""), ACCESS_COOKIE) or ""
        if not token:
            return None
        try:
            # Signature and expiry are checked, so nobody can spend (or dodge into) someone else's budget.
            return str(decode_access_token(self.settings, token.strip()).user_id)
        except Unauthorized:
            return None

    def quotas(self, scope: Scope) -> list[Quota]:
        """The quotas this request spends."""
        path: str = scope["path"]
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        user = self._user_id(Headers(scope=scope))
        general = self.settings.rate_limit_per_minute
        area = "mcp" if not path.startswith("/api/") else "api"
        if user is not None:
            quotas = [Quota("user", f"{area}:user:{user}", general)]
        else:
            quotas = [Quota("ip", f"{area}:ip:{ip}", general)]
        method = scope["method"]
        if method == "POST" and path == LOGIN_PATH:
            quotas.append(Quota("login", f"login:ip:{ip}", self.settings.rate_limit_login_per_minute))
        elif method == "POST" and path in CHAT_PATHS:
            who = f"user:{user}" if user is not None else f"ip:{ip}"
            quotas.append(Quota("chat", f"chat:{who}", self.settings.rate_limit_chat_per_minute))
        return quotas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not is_limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        if is_agent_request(self.settings, scope):
            # The chat turn these tool calls belong to was already counted (see app.mcp.internal).
            await self.app(scope, receive, send)
            return
        decision = await _limiter(scope).hit(self.quotas(scope))
        if not decision.counted:
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            metrics.rate_limit_rejections.labels(decision.scope).inc()
            headers["Retry-After"] = str(decision.retry_after)
            await send_error(
                scope,
                receive,
                send,
                status_code=429,
                code="rate_limited",
                message=(
                    f"Too many requests: the limit is {decision.limit} per {decision.window_seconds} seconds "
                    f"({decision.scope}); try again in {decision.retry_after} seconds."
                ),
                headers=headers,
            )
            return
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *encoded]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _limiter(scope: Scope) -> RateLimiter:
    limiter: RateLimiter = scope["app"].state.runtime.rate_limiter
    return limiter


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
