"""`todochat mcp`: the MCP server as its own process, with its own database connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

import telemetry
from app.api.middleware import install_middleware
from app.api.routes.health import ready
from app.core.collector import settle_after_startup
from app.core.config import Settings, get_settings
from app.mcp.server import build_mcp_server, streamable_http_app
from app.runtime import Runtime

MCP_PATH = "/mcp"


class RuntimeHolder:
    """Hands the tools the runtime built in the lifespan, after the app object already exists."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None

    def __call__(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("the application has not started yet")
        return self.runtime


async def _health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_mcp_app(settings: Settings | None = None) -> FastAPI:
    """The standalone MCP server: tools at /mcp/, /health and /health/ready, behind the API's hardening middleware."""
    settings = settings or get_settings()
    holder = RuntimeHolder()
    server = build_mcp_server(holder)
    mcp_http = streamable_http_app(server, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder.runtime = Runtime.from_settings(settings)
        app.state.runtime = holder.runtime
        try:
            async with server.session_manager.run():
                settle_after_startup(settings.gc_young_threshold)
                yield
        finally:
            await holder.runtime.close()

    # A FastAPI app only so the API's middleware installs as is; it serves no OpenAPI schema or docs.
    app = FastAPI(
        routes=[Route("/health", _health), Route("/health/ready", ready), Mount(MCP_PATH, app=mcp_http)],
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=telemetry.fastapi_options(),
    )
    # Same rate limits, body and depth limits and security headers as the API: this process faces clients too.
    install_middleware(app, settings)
    return app
