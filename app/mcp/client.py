"""The agent's MCP client: streamable HTTP to the task tools, carrying the signed-in user's bearer token."""

from __future__ import annotations

import asyncio
import json
import re
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import Client
from mcp.client.caching import CacheConfig, InMemoryResponseCacheStore
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, DiscoverResult, TextContent

from app.agent.types import ToolSpec
from app.core.errors import ToolsUnavailable, Unauthorized
from app.mcp import validators

_SDK_PREFIX = re.compile(r"^Error executing tool \w+: ")
TOOLS_UNAVAILABLE = "Your task list is unreachable right now; your message was saved, so try again shortly."

# Every turn opens a fresh stateless connection, which would cost a `server/discover` probe and a `tools/list`
# before the first tool call. Both answers only change when the MCP server is redeployed, so this process keeps
# them: the probe result per server URL for a minute, the tool list in the SDK's response cache for as long as
# the server's cache hint allows. Entries are partitioned by the verified user; only results the server marks
# "public" (the tool list, the same for everyone) are served across users.
DISCOVERY_TTL_SECONDS = 60.0
responses_cache = InMemoryResponseCacheStore(max_entries=4096)


@dataclass(frozen=True, slots=True)
class _Discovery:
    result: DiscoverResult
    version: str
    expires_at: float


_discoveries: dict[str, _Discovery] = {}


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


class _HttpRefusals:
    """Remembers the last HTTP status that refused a request outright (auth, limits, server errors).

    The MCP transport turns such answers into a generic JSON-RPC error, which would otherwise read like a
    tool-level mistake the model can correct. 400 and 404 are left out: they carry the server's JSON-RPC errors.
    """

    def __init__(self) -> None:
        self.status: int | None = None

    async def observe(self, response: httpx2.Response) -> None:
        if response.status_code >= 400 and response.status_code not in (400, 404):
            self.status = response.status_code

    def raise_if_refused(self, err: MCPError) -> None:
        """Raises the error an HTTP-level refusal of the last request stands for, if there was one."""
        status, self.status = self.status, None
        if status == 401:
            raise Unauthorized("Your session ended while the assistant was working; sign in again.") from err
        if status is not None:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err


class McpTools:
    """One user's connection to the task tools for the length of a chat turn."""

    def __init__(self, client: Client, refusals: _HttpRefusals | None = None, *, share_validators: bool = True) -> None:
        self._client = client
        self._refusals = refusals or _HttpRefusals()
        self._share_validators = share_validators

    async def list_tools(self) -> list[ToolSpec]:
        """The server's tools as the model sees them.

        Raises:
            ToolsUnavailable: the MCP server could not be reached or refused the request.
            Unauthorized: the MCP server no longer accepts the user's token.
        """
        self._refusals.status = None
        try:
            listing = await self._client.list_tools()
        except MCPError as err:
            self._refusals.raise_if_refused(err)
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        except httpx2.HTTPError as err:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        if self._share_validators:
            validators.share_validators(self._client.session, listing.tools)
        return [
            ToolSpec(name=t.name, description=t.description or "", parameters=t.input_schema) for t in listing.tools
        ]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Call one tool; a tool-level failure comes back as an error outcome, not an exception.

        Raises:
            ToolsUnavailable: the MCP server could not be reached or refused the request.
            Unauthorized: the MCP server no longer accepts the user's token.
        """
        self._refusals.status = None
        try:
            result = await self._client.call_tool(name, arguments)
        except MCPError as err:
            self._refusals.raise_if_refused(err)
            # Protocol-level refusals (unknown tool, malformed arguments) are the model's mistake to correct.
            return ToolOutcome(result={"error": err.error.message}, is_error=True)
        except httpx2.HTTPError as err:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        return _outcome(result)


class _KeptPool(httpx2.AsyncBaseTransport):
    """A turn's view of the event loop's shared connection pool: closing the turn's client leaves the pool open."""

    def __init__(self, pool: httpx2.AsyncHTTPTransport) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._pool.handle_async_request(request)

    async def aclose(self) -> None:
        return None


# Keep-alive connections to MCP servers, one pool per event loop (connections belong to the loop that opened
# them), so a turn does not connect afresh; the user's token still goes with each turn's own requests.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncHTTPTransport] = weakref.WeakKeyDictionary()


def _pool() -> _KeptPool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = httpx2.AsyncHTTPTransport()
    return _KeptPool(pool)


async def close_pool() -> None:
    """Close this event loop's kept MCP connections (at shutdown)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.aclose()


def _single(error: BaseException) -> BaseException:
    """The one error a chain of single-member exception groups wraps (the MCP client's task groups add them)."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def client_for(transport: Any, url: str, partition: str, timeout_seconds: float) -> Client:
    """A client of `transport` (`url` names its server), reusing the server's discovery while it is fresh."""
    cache = CacheConfig(store=responses_cache, partition=partition, target_id=url, share_public=True)
    known = _discoveries.get(url)
    if known is None or known.expires_at <= time.monotonic():
        return Client(transport, read_timeout_seconds=timeout_seconds, cache=cache)
    return Client(
        transport, read_timeout_seconds=timeout_seconds, cache=cache, mode=known.version, prior_discover=known.result
    )


def remember_discovery(url: str, client: Client) -> None:
    result = client.session.discover_result
    version = client.session.protocol_version
    known = _discoveries.get(url)
    if result is not None and version is not None and (known is None or known.expires_at <= time.monotonic()):
        _discoveries[url] = _Discovery(result, version, time.monotonic() + DISCOVERY_TTL_SECONDS)


@asynccontextmanager
async def connect_tools(
    url: str,
    token: str,
    *,
    partition: str,
    timeout_seconds: float = 30.0,
    headers: dict[str, str] | None = None,
    share_validators: bool = True,
) -> AsyncIterator[McpTools]:
    """Connect to the MCP server at `url` as the user whose access token is `token`.

    `partition` names the token's (verified) user: cached tool lists are never shared across partitions.
    `headers` go with every request; `share_validators`: see app.mcp.validators. Errors raised inside the block
    come out as themselves, not wrapped in the client's exception groups.

    Raises:
        ToolsUnavailable: the server cannot be reached or refuses the connection.
        Unauthorized: the server no longer accepts `token`.
    """
    refusals = _HttpRefusals()
    async with unwrapped(), AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                transport=_pool(),
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                timeout=httpx2.Timeout(timeout_seconds),
                event_hooks={"response": [refusals.observe]},
            )
        )
        transport = streamable_http_client(url, http_client=http)
        try:
            client = await stack.enter_async_context(client_for(transport, url, partition, timeout_seconds))
        except MCPError as err:
            refusals.raise_if_refused(err)
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        except httpx2.HTTPError as err:
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from err
        remember_discovery(url, client)
        yield McpTools(client, refusals, share_validators=share_validators)


@asynccontextmanager
async def unwrapped() -> AsyncIterator[None]:
    """Errors from inside an MCP client's block as themselves, not in the client's task groups' wrapping.

    Raises:
        ToolsUnavailable: the connection failed underneath (an MCP or HTTP error).
    """
    try:
        yield
    except BaseExceptionGroup as group:
        error = _single(group)
        if error is group:
            raise
        if isinstance(error, MCPError | httpx2.HTTPError):
            raise ToolsUnavailable(TOOLS_UNAVAILABLE) from error
        raise error from None
