"""The cheap read path: cached session checks and token verification, one-query pages, the pool and read sessions.

Every shortcut here keeps a guarantee; these tests show the guarantee, not the speed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.models import User
from app.db.session import create_engine, create_read_sessionmaker
from app.services.auth import ActiveSessionCache, VerifiedTokens
from tests.api.helpers import app_client, assert_error_shape, bearer
from tests.conftest import REDIS_URL

TASKS = "/api/v1/tasks"
LOGOUT = "/api/v1/auth/logout"


def _assert_refused(response: httpx.Response, message_part: str) -> None:
    error = assert_error_shape(response, 401, "unauthorized")
    assert message_part in str(error["message"]), error


# --- the active-session cache (pure logic) -----------------------------------------------------------------------


def test_the_session_cache_remembers_an_active_session_only_for_its_user_and_its_ttl() -> None:
    cache = ActiveSessionCache(ttl_seconds=0.05, max_entries=10)
    user, other_user, session = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert not cache.is_active(user_id=user, session_id=session)
    cache.remember(user_id=user, session_id=session)
    assert cache.is_active(user_id=user, session_id=session)
    assert not cache.is_active(user_id=other_user, session_id=session)
    time.sleep(0.06)
    assert not cache.is_active(user_id=user, session_id=session)
    assert len(cache) == 0


def test_a_forgotten_session_is_asked_about_again() -> None:
    cache = ActiveSessionCache(ttl_seconds=60, max_entries=10)
    user, session = uuid.uuid4(), uuid.uuid4()
    cache.remember(user_id=user, session_id=session)
    cache.forget(session)
    assert not cache.is_active(user_id=user, session_id=session)


def test_a_zero_ttl_session_cache_remembers_nothing() -> None:
    cache = ActiveSessionCache(ttl_seconds=0, max_entries=10)
    user, session = uuid.uuid4(), uuid.uuid4()
    cache.remember(user_id=user, session_id=session)
    assert not cache.is_active(user_id=user, session_id=session)


def test_a_full_session_cache_drops_its_oldest_entries_and_stays_bounded() -> None:
    cache = ActiveSessionCache(ttl_seconds=60, max_entries=20)
    sessions = [(uuid.uuid4(), uuid.uuid4()) for _ in range(50)]
    for user, session in sessions:
        cache.remember(user_id=user, session_id=session)
        assert len(cache) <= 20
    newest_user, newest_session = sessions[-1]
    oldest_user, oldest_session = sessions[0]
    assert cache.is_active(user_id=newest_user, session_id=newest_session)
    assert not cache.is_active(user_id=oldest_user, session_id=oldest_session)


# --- verified tokens (pure logic) --------------------------------------------------------------------------------


def _token(settings: Settings, *, expires_in: timedelta, secret: str | None = None) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
    }
    return jwt.encode(claims, secret or settings.secret_key.get_secret_value(), algorithm="HS256")


def test_a_verified_token_answers_the_same_claims_again(settings: Settings) -> None:
    tokens = VerifiedTokens(settings, max_entries=10)
    token = _token(settings, expires_in=timedelta(minutes=5))
    assert tokens.claims(token) == tokens.claims(token)


def test_a_token_signed_with_another_key_is_refused_every_time(settings: Settings) -> None:
    tokens = VerifiedTokens(settings, max_entries=10)
    forged = _token(settings, expires_in=timedelta(minutes=5), secret="another-key-" + "y" * 40)
    for _ in range(2):
        with pytest.raises(Unauthorized, match="signature"):
            tokens.claims(forged)


def test_a_remembered_token_is_refused_once_it_expires(settings: Settings) -> None:
    tokens = VerifiedTokens(settings, max_entries=10)
    token = _token(settings, expires_in=timedelta(seconds=1))
    tokens.claims(token)
    time.sleep(1.1)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.claims(token)


# --- the cache in the running application ------------------------------------------------------------------------


async def test_a_signed_out_session_is_refused_at_once_although_its_reads_were_cached(
    settings: Settings, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    async with app_client(settings.model_copy(update={"active_session_cache_seconds": 300})) as client:
        assert (await client.get(TASKS, headers=headers)).status_code == 200
        assert (await client.post(LOGOUT, headers=headers)).status_code == 204
        _assert_refused(await client.get(TASKS, headers=headers), "signed out")


async def test_a_deleted_accounts_writes_are_refused_at_once_and_its_reads_once_the_cached_answer_expires(
    settings: Settings, db: AsyncEngine, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    ttl = 1.0
    async with app_client(settings.model_copy(update={"active_session_cache_seconds": ttl})) as client:
        assert (await client.get(TASKS, headers=headers)).status_code == 200
        async with db.begin() as conn:
            await conn.execute(delete(User).where(User.email == account["email"]))
        _assert_refused(await client.post(TASKS, json={"title": "x"}, headers=headers), "no longer exists")
        await asyncio.sleep(ttl + 0.2)
        _assert_refused(await client.get(TASKS, headers=headers), "no longer exists")


async def test_without_redis_another_instance_refuses_a_sign_out_once_its_cached_answer_expires(
    settings: Settings, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    ttl = 1.0
    short = settings.model_copy(update={"active_session_cache_seconds": ttl})
    async with app_client(short) as first, app_client(short) as second:
        assert (await second.get(TASKS, headers=headers)).status_code == 200
        assert (await first.post(LOGOUT, headers=headers)).status_code == 204
        await asyncio.sleep(ttl + 0.2)
        _assert_refused(await second.get(TASKS, headers=headers), "session has ended")


@pytest.mark.redis
async def test_with_redis_another_instance_refuses_a_sign_out_at_once(
    settings: Settings, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    shared = settings.model_copy(update={"active_session_cache_seconds": 300, "redis_url": REDIS_URL})
    async with app_client(shared) as first, app_client(shared) as second:
        assert (await second.get(TASKS, headers=headers)).status_code == 200
        assert (await first.post(LOGOUT, headers=headers)).status_code == 204
        _assert_refused(await second.get(TASKS, headers=headers), "signed out")


# --- one-query pages ---------------------------------------------------------------------------------------------


async def test_a_page_counts_every_matching_task_and_a_page_past_the_end_still_counts_them(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    for i in range(5):
        r = await client.post(TASKS, json={"title": f"report {i}" if i % 2 else f"errand {i}"}, headers=headers)
        assert r.status_code == 201, r.text
    first = (await client.get(TASKS, params={"limit": 2}, headers=headers)).json()
    assert first["total"] == 5
    assert [t["title"] for t in first["items"]] == ["errand 0", "report 1"]
    matching = (await client.get(TASKS, params={"q": "REPORT", "limit": 1, "offset": 1}, headers=headers)).json()
    assert matching["total"] == 2
    assert [t["title"] for t in matching["items"]] == ["report 3"]
    past_end = (await client.get(TASKS, params={"offset": 10}, headers=headers)).json()
    assert past_end == {"items": [], "total": 5, "limit": 50, "offset": 10}
    pending = (await client.get(TASKS, params={"status": "completed"}, headers=headers)).json()
    assert pending["total"] == 0


# --- pool and read sessions --------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_a_postgres_read_session_runs_its_statements_outside_a_transaction(postgres_url: str) -> None:
    engine = create_engine(Settings(database_url=postgres_url))
    try:
        async with create_read_sessionmaker(engine)() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection is not None
            assert not raw.driver_connection.is_in_transaction()
    finally:
        await engine.dispose()
