"""The agent's way to the MCP server when it runs in the same process: the SDK's in-memory transport.

Same protocol, same tool code and result shapes as over HTTP, without the loopback request through the whole
middleware stack (authentication again, rate limits, body checks, telemetry). The user is the chat request's
already verified principal, set where the SDK's bearer-token middleware would set it; never the model's choice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver import MCPServer

from app.mcp.auth import principal_token
from app.mcp.client import McpTools, client_for, remember_discovery, unwrapped

# The in-process server's discovery and tool list are kept apart from any remote server's.
TARGET_ID = "in-process"


@asynccontextmanager
async def connect_local_tools(
    server: MCPServer,
    *,
    user_id: uuid.UUID,
    token: str,
    timeout_seconds: float = 30.0,
    share_validators: bool = True,
) -> AsyncIterator[McpTools]:
    """Connect to `server` in this process as `user_id`, whose access token `token` the caller has verified.

    Errors raised inside the block come out as themselves, not wrapped in the client's exception groups.
    """
    # The server's handlers run in tasks the client starts here, so they inherit the principal from this context.
    reset = auth_context_var.set(AuthenticatedUser(principal_token(user_id=user_id, token=token)))
    try:
        async with unwrapped(), client_for(server, TARGET_ID, str(user_id), timeout_seconds) as client:
            remember_discovery(TARGET_ID, client)
            yield McpTools(client, share_validators=share_validators)
    finally:
        auth_context_var.reset(reset)
