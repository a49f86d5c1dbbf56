"""The agent's MCP client: streamable HTTP to the task tools, carrying the signed-in user's bearer token."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent

from app.agent.types import ToolSpec
from app.core.errors import ToolsUnavailable

_SDK_PREFIX = re.compile(r"^Error executing tool \w+: ")
TOOLS_UNAVAILABLE = "Your task list is unreachable right now; your message was saved, so try again shortly."


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """A tool's answer as the model will read it: the structured result, or {"error": message}."""

    result: dict[str, Any]
    is_error: bool


def _outcome(result: CallToolResult) -> ToolOutcome:
    text = " ".join(block.text for block in result.content if isinstance(block, TextContent)).strip()
    if result.is_error:
        # The SDK prefixes the tool's own message with its name; the model only needs the message.
        message = _SDK_PREFIX.sub("", text) or "The tool failed."
        return ToolOutcome(result={"error": message}, is_error=True)
    if isinstance(result.structured_content, dict):
        return ToolOutcome(result=dict(result.structured_content), is_error=False)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return ToolOutcome(result=parsed if isinstance(parsed, dict) else {"result": text}, is_error=False)


class McpTools:
    """One user's connection to the task tools for the length of a chat turn."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def list_tools(self) -> list[ToolSpec]:
        """The server's tools as the model sees them."""
        try:
            listing = await self._client.list_tools()
        except (MCPError, httpx2.HTTPError) as err:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        return [
            ToolSpec(name=t.name, description=t.description or "", parameters=t.input_schema) for t in listing.tools
        ]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Call one tool; a tool-level failure comes back as an error outcome, not an exception.

        Raises:
            ToolsUnavailable: the MCP server could not be reached.
        """
        try:
            result = await self._client.call_tool(name, arguments)
        except MCPError as err:
            # Protocol-level refusals (unknown tool, malformed arguments) are the model's mistake to correct.
            return ToolOutcome(result={"error": err.error.message}, is_error=True)
        except httpx2.HTTPError as err:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        return _outcome(result)


def _single(error: BaseException) -> BaseException:
    """The one error a chain of single-member exception groups wraps (the MCP client's task groups add them)."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


@asynccontextmanager
async def connect_tools(url: str, token: str, *, timeout_seconds: float = 30.0) -> AsyncIterator[McpTools]:
    """Connect to the MCP server at `url` as the user whose access token is `token`.

    Errors raised inside the block come out as themselves, not wrapped in the client's exception groups.

    Raises:
        ToolsUnavailable: the server cannot be reached or refuses the connection.
    """
    try:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(timeout_seconds)
                )
            )
            transport = streamable_http_client(url, http_client=http)
            try:
                client = await stack.enter_async_context(Client(transport, read_timeout_seconds=timeout_seconds))
            except (MCPError, httpx2.HTTPError) as err:
                raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
            yield McpTools(client)
    except BaseExceptionGroup as group:
        error = _single(group)
        if error is group:
            raise
        if isinstance(error, MCPError | httpx2.HTTPError):
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from error
        raise error from None
