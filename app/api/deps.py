"""FastAPI dependencies, as Annotated aliases. Handlers never build clients themselves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.session import create_read_sessionmaker, session_scope
from app.runtime import Runtime
from app.services.auth import ActiveSessionCache, VerifiedTokens, require_active_session
from app.worker.broker import EventBroker

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")
# Requests that change nothing may rely on a recent "session active" answer; the others always ask the database.
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are `async def` even when they never await: FastAPI runs a plain `def` one in a worker thread,
# a thread hop per request for a field lookup.
async def get_runtime(request: Request) -> Runtime:
    """The process's runtime, built in the application lifespan."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_app_settings(runtime: RuntimeDep) -> Settings:
    """The settings the application was built with."""
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One database session per request."""
    async for session in session_scope(runtime.sessions):
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def read_sessions(runtime: Runtime) -> async_sessionmaker[AsyncSession]:
    """The process's factory of read-only sessions, made on first use."""
    factory: async_sessionmaker[AsyncSession] | None = runtime.extras.get("read_sessions")
    if factory is None:
        factory = runtime.extras["read_sessions"] = create_read_sessionmaker(runtime.engine)
    return factory


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request, for handlers that only read (no transaction on PostgreSQL)."""
    async for session in session_scope(read_sessions(runtime)):
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


def active_session_cache(runtime: Runtime) -> ActiveSessionCache:
    """The process's cache of sessions recently seen active, made on first use."""
    cache: ActiveSessionCache | None = runtime.extras.get("active_sessions")
    if cache is None:
        settings = runtime.settings
        cache = ActiveSessionCache(settings.active_session_cache_seconds, settings.active_session_cache_entries)
        runtime.extras["active_sessions"] = cache
    return cache


def verified_tokens(runtime: Runtime) -> VerifiedTokens:
    """The process's cache of access tokens whose signature has been checked, made on first use."""
    tokens: VerifiedTokens | None = runtime.extras.get("verified_tokens")
    if tokens is None:
        settings = runtime.settings
        tokens = runtime.extras["verified_tokens"] = VerifiedTokens(settings, settings.active_session_cache_entries)
    return tokens


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
    claims = verified_tokens(runtime).claims(token)
    if await runtime.revocations.is_revoked(claims.session_id):
        raise Unauthorized("This session has been signed out; sign in again.")
    # The database is the source of truth: it sees sign-outs from every instance, and deleted accounts. Reads trust
    # its "active" for a few seconds (ACTIVE_SESSION_CACHE_SECONDS); the revocation store above still refuses a
    # sign-out at once. A session of its own, closed at once: routes that talk to the model for seconds must not
    # hold a pooled connection.
    cache = active_session_cache(runtime)
    if request.method not in _READ_METHODS or not cache.is_active(user_id=claims.user_id, session_id=claims.session_id):
        async with read_sessions(runtime)() as session:
            await require_active_session(session=session, user_id=claims.user_id, session_id=claims.session_id)
        cache.remember(user_id=claims.user_id, session_id=claims.session_id)
    request.state.user_id = claims.user_id
    return Principal(user_id=claims.user_id, session_id=claims.session_id, token=token)


CurrentUser = Annotated[Principal, Depends(get_principal)]


async def get_event_broker(request: Request) -> EventBroker:
    """The process's event-stream poller, started in the application lifespan."""
    broker: EventBroker = request.app.state.event_broker
    return broker


EventBrokerDep = Annotated[EventBroker, Depends(get_event_broker)]
