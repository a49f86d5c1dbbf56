"""The agent's own MCP requests, told apart from external MCP clients by a signature only this service can make.

Why: a chat turn is rate limited where it enters (the chat quota, 20 a minute, and the user's API quota). The
tool calls its agent then makes to /mcp/ are part of that admitted turn, not new demand; counting them again
against the user's MCP quota (100 a minute) would let a busy but legitimate chat session be refused by its own
tool calls before the chat limit is reached, with a 429 the person never caused. So the agent signs each MCP
request (an HMAC of its bearer token under a key derived from SECRET_KEY), and the rate limiter does not spend
the MCP quota on requests whose signature verifies. Nothing else changes for them: the MCP server still checks
the token, its session and its account, and the tools still act only for the token's user.

A signature rather than "the request came over loopback": the MCP server may run in its own process
(MCP_SERVER_URL), and behind a proxy every request looks local. Only processes holding SECRET_KEY (which they
need to verify tokens anyway) can sign, the signature is bound to one token (so it expires with it), and it
is only ever sent from the API to the MCP server, never to a browser.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.datastructures import Headers
from starlette.types import Scope

from app.core.config import Settings

AGENT_HEADER = "X-Todochat-Agent"
_PURPOSE = b"todochat: agent requests to the MCP server\x00"


def _key(settings: Settings) -> bytes:
    # A key of its own, derived from the secret, so this MAC can never be confused with a token signature.
    return hashlib.sha256(_PURPOSE + settings.secret_key.get_secret_value().encode()).digest()


def agent_signature(settings: Settings, token: str) -> str:
    """The value of the agent header for MCP requests carrying `token`."""
    return hmac.new(_key(settings), token.encode(), hashlib.sha256).hexdigest()


def agent_headers(settings: Settings, token: str) -> dict[str, str]:
    """Headers that mark the agent's MCP requests for `token`."""
    return {AGENT_HEADER: agent_signature(settings, token)}


def is_agent_request(settings: Settings, scope: Scope) -> bool:
    """An MCP request signed by this service's agent for the bearer token it carries."""
    path: str = scope.get("path", "")
    if path != "/mcp" and not path.startswith("/mcp/"):
        return False
    headers = Headers(scope=scope)
    signature = headers.get(AGENT_HEADER.lower())
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if not signature or scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(signature, agent_signature(settings, token.strip()))
