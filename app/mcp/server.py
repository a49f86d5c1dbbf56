"""The MCP server: the task tools over streamable HTTP, behind bearer-token authentication."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from app.core.config import Settings
from app.mcp.auth import AccessTokenVerifier
from app.mcp.tools import register_task_tools
from app.runtime import Runtime

SERVER_NAME = "todochat"
INSTRUCTIONS = (
    "Task tools for the signed-in user's todo list. The user is taken from the bearer token; "
    "use list_tasks to find a task's task_id before changing it by name."
)
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# The tool list is the same for every user and changes only with a deployment: clients may keep it a minute.
TOOL_LIST_TTL_MS = 60_000


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection that admits local names, MCP_SERVER_URL's host and the CORS origins' hosts."""
    hosts = [f"{h}:*" for h in _LOCAL_HOSTS] + list(_LOCAL_HOSTS)
    origins = [f"http://{h}:*" for h in _LOCAL_HOSTS] + [f"https://{h}:*" for h in _LOCAL_HOSTS]
    for url in [settings.mcp_server_url or "", *settings.cors_origins]:
        parts = urlsplit(url)
        if parts.hostname:
            hosts.extend([parts.netloc, f"{parts.hostname}:*", parts.hostname])
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(set(hosts)),
        allowed_origins=sorted(set(origins)),
    )


def build_mcp_server(runtime: Callable[[], Runtime]) -> MCPServer:
    """An MCP server whose tools use the runtime `runtime()` returns once the process has started."""
    server: MCPServer = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version="0.1.0",
        token_verifier=AccessTokenVerifier(runtime),
        # We are both issuer and resource server: tokens are the API's own, so no OAuth metadata is served.
        auth=AuthSettings(issuer_url="http://127.0.0.1", resource_server_url=None),
        log_level="WARNING",
        cache_hints={"tools/list": CacheHint(ttl_ms=TOOL_LIST_TTL_MS, scope="public")},
    )
    register_task_tools(server, runtime)
    return server


def streamable_http_app(server: MCPServer, settings: Settings) -> Starlette:
    """The ASGI app serving `server` at the root of wherever it is mounted, stateless (any replica answers)."""
    return server.streamable_http_app(
        streamable_http_path="/",
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(settings),
    )
