"""The hardening middleware stack, installed in one call from `create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.api.middleware.body import BodyLimitMiddleware
from app.api.middleware.headers import SecurityHeadersMiddleware, inline_script_hashes, origin_of, ui_csp
from app.api.middleware.ratelimit import RateLimitMiddleware
from app.core.config import Settings

DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parents[3] / "frontend" / "out"
EXPOSED_HEADERS = [
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "X-Request-ID",
]


def rate_limits_enabled(settings: Settings) -> bool:
    """On unless switched off; off by default under APP_ENV=test so suites opt in to being limited."""
    if settings.rate_limit_enabled is not None:
        return settings.rate_limit_enabled
    return settings.app_env != "test"


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add body limits, rate limits, CORS and security headers (outermost last)."""
    frontend_dir = Path(settings.frontend_dir) if settings.frontend_dir else DEFAULT_FRONTEND_DIR
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, max_depth=settings.max_json_depth)
    if rate_limits_enabled(settings):
        app.add_middleware(RateLimitMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            # A wildcard origin never gets credentials: cookies stay with the origins named explicitly.
            allow_credentials="*" not in settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Accept",
                "Mcp-Session-Id",
                "MCP-Protocol-Version",
                "traceparent",
                "tracestate",
                "X-Request-ID",
            ],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    sentry = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
    origins = [origin_of(url) for url in [sentry, *settings.ui_telemetry_urls]]
    policy = ui_csp(inline_script_hashes(frontend_dir), sorted({o for o in origins if o}))
    app.add_middleware(SecurityHeadersMiddleware, ui_policy=policy)
