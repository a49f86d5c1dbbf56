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
from app.core.slo_monitor import SLOMonitor
from app.db.session import session_scope
from app.runtime import Runtime
from app.services.auth import require_active_session
from app.worker.broker import EventBroker
from slo.maintenance import MaintenanceCalendar

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


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request, for handlers that only read (no transaction on PostgreSQL)."""
    async for session in session_scope(runtime.read_sessions):
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, and the login session the access token belongs to."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    token: str
    timezone: str | None = None
    """The user's time zone name when this request read it while checking the session (None: not read)."""


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
    claims = runtime.verified_tokens.claims(token)
    if await runtime.revocations.is_revoked(claims.session_id):
        raise Unauthorized("This session has been signed out; sign in again.")
    # The database is the source of truth: it sees sign-outs from every instance, and deleted accounts. Reads trust
    # its "active" for a few seconds (ACTIVE_SESSION_CACHE_SECONDS); the revocation store above still refuses a
    # sign-out at once. A session of its own, closed at once: routes that talk to the model for seconds must not
    # hold a pooled connection.
    cache = runtime.active_sessions
    timezone = None
    if request.method not in _READ_METHODS or not cache.is_active(user_id=claims.user_id, session_id=claims.session_id):
        async with runtime.read_sessions() as session:
            timezone = await require_active_session(
                session=session, user_id=claims.user_id, session_id=claims.session_id
            )
        cache.remember(user_id=claims.user_id, session_id=claims.session_id)
    request.state.user_id = claims.user_id
    return Principal(user_id=claims.user_id, session_id=claims.session_id, token=token, timezone=timezone)


CurrentUser = Annotated[Principal, Depends(get_principal)]


async def get_event_broker(request: Request) -> EventBroker:
    """The process's event-stream poller, started in the application lifespan."""
    broker: EventBroker = request.app.state.event_broker
    return broker


EventBrokerDep = Annotated[EventBroker, Depends(get_event_broker)]


async def get_slo_monitor(request: Request) -> SLOMonitor:
    """The process's SLO monitor, installed with the SLO route."""
    monitor: SLOMonitor = request.app.state.slo_monitor
    return monitor


SLOMonitorDep = Annotated[SLOMonitor, Depends(get_slo_monitor)]


async def get_maintenance_calendar(request: Request) -> MaintenanceCalendar:
    """The SLO spec's maintenance windows, installed with the maintenance route."""
    calendar: MaintenanceCalendar = request.app.state.maintenance_calendar
    return calendar


MaintenanceCalendarDep = Annotated[MaintenanceCalendar, Depends(get_maintenance_calendar)]
