"""`todochat mcp`: the MCP server as its own process, with its own database connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

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


def create_mcp_app(settings: Settings | None = None) -> Starlette:
    """The standalone MCP server: tools at /mcp/, liveness at /health."""
    settings = settings or get_settings()
    holder = RuntimeHolder()
    server = build_mcp_server(holder)
    mcp_http = streamable_http_app(server, settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        holder.runtime = Runtime.from_settings(settings)
        app.state.runtime = holder.runtime
        try:
            async with server.session_manager.run():
                yield
        finally:
            await holder.runtime.close()

    return Starlette(
        routes=[Route("/health", _health), Mount(MCP_PATH, app=mcp_http)],
        lifespan=lifespan,
    )
