"""What the API process needs for chat: the chat model, and the MCP server mounted at /mcp/ unless it runs apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx2
from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer

from app.agent.factory import build_model, close_model
from app.core.config import Settings
from app.mcp.app import MCP_PATH, RuntimeHolder
from app.mcp.server import build_mcp_server, streamable_http_app
from app.runtime import Runtime


async def check_mcp(runtime: Runtime) -> None:
    """The separate MCP server answers, and refuses a request without a token as it must."""
    url = runtime.settings.mcp_server_url
    assert url is not None
    async with httpx2.AsyncClient(timeout=2.0) as client:
        response = await client.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Accept": "application/json, text/event-stream"},
        )
    if response.status_code != 401:
        raise RuntimeError(f"MCP server answered {response.status_code} instead of asking for a token")


@dataclass
class ChatComponents:
    holder: RuntimeHolder
    mcp_server: MCPServer | None

    @classmethod
    def build(cls, settings: Settings) -> ChatComponents:
        holder = RuntimeHolder()
        return cls(holder=holder, mcp_server=None if settings.mcp_server_url else build_mcp_server(holder))

    def mount(self, app: FastAPI, settings: Settings) -> None:
        """Serve the MCP server at /mcp/ in this app (no-op when MCP_SERVER_URL points elsewhere)."""
        if self.mcp_server is not None:
            app.mount(MCP_PATH, streamable_http_app(self.mcp_server, settings), name="mcp")

    @asynccontextmanager
    async def running(self, runtime: Runtime) -> AsyncIterator[None]:
        """Model and MCP session manager for the life of the process; readiness learns about a remote MCP server."""
        self.holder.runtime = runtime
        model = build_model(runtime.settings)
        runtime.chat_model = model
        runtime.mcp_server = self.mcp_server
        if runtime.settings.mcp_server_url:
            runtime.readiness_checks["mcp"] = check_mcp
        async with AsyncExitStack() as stack:
            stack.push_async_callback(close_model, model)
            if self.mcp_server is not None:
                await stack.enter_async_context(self.mcp_server.session_manager.run())
            yield
