"""Helpers for tests that are not fixtures: in-process apps, accounts, headers, the error shape."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.core.security import hash_password
from app.db.models import User
from app.main import create_app
from app.schemas.auth import UserPublic
from app.services import auth as auth_service

PASSWORD = "correct horse battery"
ERROR_KEYS = {"code", "message", "details", "request_id"}


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application built from `settings`, inside its lifespan (so app.state.runtime exists)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@contextlib.asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an in-process app; unexpected exceptions reach it as the 500 response a server would send."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
        yield client


@contextlib.asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the application built from `settings`, served in this process."""
    async with running_app(settings) as app, asgi_client(app) as client:
        yield client


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


async def register_and_login(client: httpx.AsyncClient, email: str | None = None) -> dict[str, str]:
    """A new account signed in; returns the e-mail and the login body's two tokens."""
    email = email or new_email()
    r = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    return {"email": email, "access_token": body["access_token"], "refresh_token": body["refresh_token"]}


@functools.cache
def _password_hash() -> str:
    # argon2 is slow on purpose (about a second on a busy machine); one hash serves every account made here.
    return hash_password(PASSWORD)


async def make_account(db: AsyncEngine, settings: Settings) -> dict[str, str]:
    """A new account (password PASSWORD) with a signed-in session: its e-mail, access token and refresh token.

    The row is written directly and the session started through the service function login uses, which skips
    per-test password hashing; the register and login routes themselves are tested in test_auth.py.
    """
    async with AsyncSession(db, expire_on_commit=False) as session:
        user = User(email=new_email(), password_hash=_password_hash())
        session.add(user)
        await session.commit()
        public = UserPublic.model_validate(user)
        tokens = await auth_service.start_session(session=session, settings=settings, user=public)
    return {"email": public.email, "access_token": tokens.access_token, "refresh_token": tokens.refresh_token}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """The response is the one JSON error shape with this status and code; returns the `error` object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, object] = body["error"]
    assert set(error) == ERROR_KEYS, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert isinstance(error["details"], list), error
    assert error["request_id"] is None or isinstance(error["request_id"], str), error
    return error
