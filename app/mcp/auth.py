"""Bearer-token authentication for the MCP server: the caller's access token names the user."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from app.core.errors import AppError, Unauthorized
from app.core.security import decode_access_token
from app.runtime import Runtime
from app.services.auth import require_active_session

MCP_CLIENT_ID = "todochat"


class AccessTokenVerifier:
    """Accepts the API's own access tokens while their session and account last; anything else is refused."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's user as the MCP principal, or None when the token is not valid or its session ended."""
        runtime = self._runtime()
        try:
            claims = decode_access_token(runtime.settings, token)
        except Unauthorized:
            return None
        if await runtime.revocations.is_revoked(claims.session_id):
            return None
        # As for the REST API, the database has the last word: the revocation store is per process without
        # Redis (a standalone MCP server never hears of the API's sign-outs), and it knows nothing of deleted
        # accounts.
        try:
            async with runtime.sessions() as session:
                await require_active_session(session=session, user_id=claims.user_id, session_id=claims.session_id)
        except Unauthorized:
            return None
        return principal_token(user_id=claims.user_id, token=token, expires_at=int(claims.expires_at.timestamp()))


def principal_token(*, user_id: uuid.UUID, token: str, expires_at: int | None = None) -> AccessToken:
    """The MCP principal for the user whose access token `token` has been verified."""
    return AccessToken(token=token, client_id=MCP_CLIENT_ID, scopes=[], expires_at=expires_at, subject=str(user_id))


def current_user_id() -> uuid.UUID:
    """The user of the MCP request being handled, from its verified bearer token.

    Raises:
        Unauthorized: no verified token is attached to the request (cannot happen behind the auth middleware).
    """
    token = get_access_token()
    if token is None or token.subject is None:
        raise Unauthorized("This MCP request carries no valid access token.")
    try:
        return uuid.UUID(token.subject)
    except ValueError as err:
        raise AppError("The access token names no user.") from err
