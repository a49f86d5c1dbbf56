from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.api.deps import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    CurrentUser,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
    SettingsDep,
)
from app.core.config import Settings
from app.core.errors import Unauthorized
from app.schemas.auth import LoginRequest, RefreshRequest, TokenPair, UserCreate, UserPublic, UserUpdate
from app.schemas.common import ERROR_RESPONSES
from app.services import auth as auth_service

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)
REFRESH_COOKIE_PATH = "/api/v1/auth"


def _set_cookies(response: Response, settings: Settings, tokens: auth_service.IssuedTokens) -> None:
    common = {"httponly": True, "secure": settings.secure_cookies, "samesite": "lax"}
    response.set_cookie(ACCESS_COOKIE, tokens.access_token, max_age=tokens.expires_in, path="/", **common)  # type: ignore[arg-type]  # kwargs typed loosely
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        expires=tokens.refresh_expires_at,
        path=REFRESH_COOKIE_PATH,
        **common,  # type: ignore[arg-type]  # kwargs typed loosely
    )


def _pair(tokens: auth_service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=tokens.user,
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(data: UserCreate, session: SessionDep) -> UserPublic:
    """Create an account."""
    return await auth_service.register(session=session, data=data)


@router.post("/login")
async def login(data: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Sign in: returns tokens in the body and sets them as HttpOnly cookies."""
    tokens = await auth_service.login(session=session, settings=settings, email=data.email, password=data.password)
    _set_cookies(response, settings, tokens)
    return _pair(tokens)


@router.post("/refresh")
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    data: RefreshRequest | None = None,
) -> TokenPair:
    """Swap a refresh token for a new pair; each refresh token works once."""
    raw = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
    if not raw:
        raise Unauthorized("Send the refresh token in the body or the refresh_token cookie.")
    try:
        tokens = await auth_service.refresh(session=session, settings=runtime.settings, refresh_token=raw)
    except Unauthorized:
        family = await auth_service.family_of(session=session, refresh_token=raw)
        if family is not None and not await auth_service.is_session_active(session=session, family_id=family):
            await runtime.revocations.revoke(family, runtime.settings.access_token_expire_minutes * 60)
            runtime.active_sessions.forget(family)
        raise
    _set_cookies(response, runtime.settings, tokens)
    return _pair(tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> Response:
    """End this session: its refresh tokens and its access tokens stop working."""
    await auth_service.revoke_family(session=session, family_id=principal.session_id)
    await runtime.revocations.revoke(principal.session_id, runtime.settings.access_token_expire_minutes * 60)
    runtime.active_sessions.forget(principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    return response


@router.get("/me")
async def me(principal: CurrentUser, session: ReadSessionDep) -> UserPublic:
    """The signed-in account."""
    return await auth_service.get_user(session=session, user_id=principal.user_id)


@router.patch("/me")
async def update_me(data: UserUpdate, principal: CurrentUser, session: SessionDep) -> UserPublic:
    """Change the signed-in account's settings (its time zone)."""
    return await auth_service.update_user(session=session, user_id=principal.user_id, data=data)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(principal: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Delete the signed-in account with all its tasks and conversations; every one of its sessions ends."""
    families = await auth_service.delete_user(session=session, user_id=principal.user_id)
    ttl = runtime.settings.access_token_expire_minutes * 60
    for family in {principal.session_id, *families}:
        await runtime.revocations.revoke(family, ttl)
        runtime.active_sessions.forget(family)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    return response
