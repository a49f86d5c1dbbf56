"""Login sessions: refresh rotation, reuse detection, logout, cookies, and the absolute 24-hour lifetime."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import httpx
import jwt
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.revocation import RedisRevocationStore
from app.db.models import RefreshToken
from tests.api.helpers import PASSWORD, app_client, assert_error_shape, bearer
from tests.conftest import REDIS_URL, make_settings
from tests.support import LiveServer, free_port

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
LOGIN = "/api/v1/auth/login"


def assert_unauthorized(response: httpx.Response, message_part: str) -> None:
    error = assert_error_shape(response, 401, "unauthorized")
    assert message_part in str(error["message"]), error
    assert response.headers["www-authenticate"].startswith("Bearer")


async def family_rows(db: AsyncEngine, refresh_token: str) -> list[RefreshToken]:
    """Every stored token of the login session this refresh token belongs to."""
    token_hash = hashlib.sha256(refresh_token.encode()).hexdigest()
    family = select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash).scalar_subquery()
    async with db.connect() as conn:
        rows = await conn.execute(select(RefreshToken).where(RefreshToken.family_id == family))
        return list(rows.all())  # type: ignore[arg-type]  # Row objects carry the same attributes


def cookies_of(response: httpx.Response) -> dict[str, SimpleCookie]:
    parsed: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            parsed[name] = cookie
    return parsed


# --- rotation and reuse ---------------------------------------------------------------------------------------


async def test_refreshing_rotates_both_tokens_and_the_new_pair_works(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    first = account
    r = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = await client.get(ME, headers=bearer(second["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == first["email"]
    # The newest refresh token rotates again.
    client.cookies.clear()
    third = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200, third.text


async def test_reusing_a_spent_refresh_token_ends_the_whole_session(
    client: httpx.AsyncClient, db: AsyncEngine, account: dict[str, str]
) -> None:
    first = account
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    client.cookies.clear()
    assert (await client.get(ME, headers=bearer(second["access_token"]))).status_code == 200

    stolen = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert_unauthorized(stolen, "already used")

    # The whole family is revoked: the newest refresh token and every access token of the session stop working.
    client.cookies.clear()
    assert_unauthorized(
        await client.post(REFRESH, json={"refresh_token": second["refresh_token"]}), "session has ended"
    )
    assert_unauthorized(await client.get(ME, headers=bearer(second["access_token"])), "session")
    assert_unauthorized(await client.get(ME, headers=bearer(first["access_token"])), "session")
    rows = await family_rows(db, first["refresh_token"])
    assert len(rows) == 2
    assert all(row.revoked_at is not None for row in rows)


async def test_an_unknown_refresh_token_answers_401(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await client.post(REFRESH, json={"refresh_token": "made-up"}), "not valid")
    assert_unauthorized(await client.post(REFRESH), "Send the refresh token")


async def test_reuse_detection_leaves_the_users_other_sessions_alone(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    laptop = account
    phone = (await client.post(LOGIN, json={"email": account["email"], "password": PASSWORD})).json()
    client.cookies.clear()
    assert (await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})).status_code == 200
    assert_unauthorized(await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]}), "already used")
    client.cookies.clear()
    assert (await client.get(ME, headers=bearer(phone["access_token"]))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})).status_code == 200


# --- logout ---------------------------------------------------------------------------------------------------


async def test_logout_stops_both_the_access_and_the_refresh_token(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    tokens = account
    r = await client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    assert r.status_code == 204, r.text
    cleared = cookies_of(r)
    assert cleared["access_token"]["access_token"]["max-age"] == "0"
    assert cleared["refresh_token"]["refresh_token"]["max-age"] == "0"
    assert_unauthorized(await client.get(ME, headers=bearer(tokens["access_token"])), "signed out")
    assert_unauthorized(
        await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}), "session has ended"
    )


async def test_logout_ends_only_that_session(client: httpx.AsyncClient, account: dict[str, str]) -> None:
    tokens = account
    r = await client.post(LOGIN, json={"email": tokens["email"], "password": PASSWORD})
    other = r.json()
    client.cookies.clear()
    assert (await client.post(LOGOUT, headers=bearer(tokens["access_token"]))).status_code == 204
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 200


async def test_a_logout_is_seen_by_another_instance_sharing_the_database(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    """Each instance keeps its own revocation cache; the database tells every instance that a session ended.

    With the active-session cache off the other instance sees it at once; with it on, within its TTL
    (tests/api/test_performance_paths.py).
    """
    tokens = account
    async with app_client(settings.model_copy(update={"active_session_cache_seconds": 0})) as other_instance:
        assert (await other_instance.get(ME, headers=bearer(tokens["access_token"]))).status_code == 200
        assert (await client.post(LOGOUT, headers=bearer(tokens["access_token"]))).status_code == 204
        assert_unauthorized(await other_instance.get(ME, headers=bearer(tokens["access_token"])), "session has ended")


# --- cookies --------------------------------------------------------------------------------------------------


async def test_login_sets_httponly_samesite_cookies_that_are_not_secure_in_development(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    r = await client.post(LOGIN, json={"email": account["email"], "password": PASSWORD})
    cookies = cookies_of(r)
    access = cookies["access_token"]["access_token"]
    refresh = cookies["refresh_token"]["refresh_token"]
    for morsel in (access, refresh):
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert not morsel["secure"]
    assert access["path"] == "/"
    assert refresh["path"] == "/api/v1/auth"
    assert access.value == r.json()["access_token"]
    assert refresh.value == r.json()["refresh_token"]


@pytest.mark.parametrize("app_env", ["staging", "production"])
async def test_cookies_are_secure_outside_development(database_url: str, app_env: str, account: dict[str, str]) -> None:
    async with app_client(make_settings(database_url, app_env=app_env)) as client:
        r = await client.post(LOGIN, json={"email": account["email"], "password": PASSWORD})
    cookies = cookies_of(r)
    assert cookies["access_token"]["access_token"]["secure"] is True
    assert cookies["refresh_token"]["refresh_token"]["secure"] is True
    assert cookies["access_token"]["access_token"]["httponly"] is True


async def test_cookies_alone_authenticate_me_refresh_and_logout(server: LiveServer, account: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        login = await browser.post(LOGIN, json={"email": account["email"], "password": PASSWORD})
        tokens = {"email": account["email"], **login.json()}
        assert "Authorization" not in browser.headers
        me = await browser.get(ME)
        assert me.status_code == 200
        assert me.json()["email"] == tokens["email"]

        refreshed = await browser.post(REFRESH)
        assert refreshed.status_code == 200, refreshed.text
        assert browser.cookies["refresh_token"] == refreshed.json()["refresh_token"] != tokens["refresh_token"]
        assert browser.cookies["access_token"] == refreshed.json()["access_token"]
        assert (await browser.get(ME)).status_code == 200

        assert (await browser.post(LOGOUT)).status_code == 204
        assert "access_token" not in browser.cookies
        assert_unauthorized(await browser.get(ME), "Sign in first")
        # The cookie the browser held before logout no longer works either.
        assert_unauthorized(await browser.get(ME, headers=bearer(refreshed.json()["access_token"])), "signed out")


# --- absolute session lifetime --------------------------------------------------------------------------------


async def _start_session_ago(db: AsyncEngine, refresh_token: str, age: timedelta) -> None:
    """Pretend the session began `age` ago, as if that much time had passed."""
    token_hash = hashlib.sha256(refresh_token.encode()).hexdigest()
    family = select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash).scalar_subquery()
    async with db.begin() as conn:
        await conn.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family)
            .values(session_started_at=datetime.now(UTC) - age)
        )


async def test_a_session_older_than_24_hours_cannot_be_refreshed(
    client: httpx.AsyncClient, db: AsyncEngine, account: dict[str, str]
) -> None:
    tokens = account
    await _start_session_ago(db, tokens["refresh_token"], timedelta(hours=24, minutes=1))
    assert_unauthorized(await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}), "24-hour limit")


async def test_tokens_issued_near_the_24_hour_limit_expire_with_the_session(
    client: httpx.AsyncClient, db: AsyncEngine, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    await _start_session_ago(db, tokens["refresh_token"], timedelta(hours=23, minutes=50))
    r = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.text
    body = r.json()
    # About ten minutes are left, so the access token lasts ten minutes, not thirty.
    assert 9 * 60 <= body["expires_in"] <= 10 * 60
    claims = jwt.decode(body["access_token"], settings.secret_key.get_secret_value(), algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] <= 10 * 60
    [newest] = [row for row in await family_rows(db, body["refresh_token"]) if row.used_at is None]
    started = newest.session_started_at.replace(tzinfo=UTC)
    expires = newest.expires_at.replace(tzinfo=UTC)
    assert abs((expires - started) - timedelta(hours=24)) < timedelta(seconds=1)


async def test_a_refresh_token_lasts_7_days_when_sessions_may_last_longer(
    database_url: str, account: dict[str, str]
) -> None:
    async with app_client(make_settings(database_url, session_max_hours=24 * 30)) as client:
        r = await client.post(REFRESH, json={"refresh_token": account["refresh_token"]})
        assert r.status_code == 200
        expires = cookies_of(r)["refresh_token"]["refresh_token"]["expires"]
    expires_at = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)


# --- the revocation store on Redis ----------------------------------------------------------------------------


@pytest.mark.redis
async def test_a_revoked_session_is_seen_by_every_instance_through_redis() -> None:
    from redis.asyncio import Redis

    assert REDIS_URL
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        session_id = uuid.uuid4()
        await RedisRevocationStore(first).revoke(session_id, ttl_seconds=60)
        other_instance = RedisRevocationStore(second)
        assert await other_instance.is_revoked(session_id)
        assert not await other_instance.is_revoked(uuid.uuid4())
        assert 0 < await second.ttl(f"todochat:revoked:{session_id}") <= 60
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_unreachable_redis_falls_back_to_this_instances_memory() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        store = RedisRevocationStore(redis)
        session_id = uuid.uuid4()
        await store.revoke(session_id, ttl_seconds=60)
        assert await store.is_revoked(session_id)
        assert not await store.is_revoked(uuid.uuid4())
    finally:
        await redis.aclose()
