"""FastAPI dependencies, as Annotated aliases. Handlers never build clients themselves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.security import decode_access_token
from app.db.session import session_scope
from app.runtime import Runtime
from app.services.auth import require_active_session

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


def get_runtime(request: Request) -> Runtime:
    """The process's runtime, built in the application lifespan."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_app_settings(runtime: RuntimeDep) -> Settings:
    """The settings the application was built with."""
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One database session per request."""
    async for session in session_scope(runtime.sessions):
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, and the login session the access token belongs to."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    token: str


def access_token_from(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The access token from the Authorization header, else from the access_token cookie."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    cookie = request.cookies.get(ACCESS_COOKIE)
    if cookie:
        return cookie
    raise Unauthorized("Sign in first: send an access token as 'Authorization: Bearer <token>'.")


async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from a valid access token whose session is still active.

    Raises:
        Unauthorized: no token, a bad one, or one whose session or account has ended.
    """
    token = access_token_from(request, credentials)
    claims = decode_access_token(runtime.settings, token)
    if await runtime.revocations.is_revoked(claims.session_id):
        raise Unauthorized("This session has been signed out; sign in again.")
    # The database is the source of truth: it sees sign-outs from every instance, and deleted accounts. A session
    # of its own, closed at once: routes that talk to the model for seconds must not hold a pooled connection.
    async with runtime.sessions() as session:
        await require_active_session(session=session, user_id=claims.user_id, session_id=claims.session_id)
    request.state.user_id = claims.user_id
    return Principal(user_id=claims.user_id, session_id=claims.session_id, token=token)


CurrentUser = Annotated[Principal, Depends(get_principal)]
