"""Accounts and access tokens: register, login, me, and every way a token can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.models import RefreshToken, User
from tests.api.helpers import PASSWORD, app_client, assert_error_shape, bearer, new_email

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def assert_unauthorized(response: httpx.Response, message_part: str) -> None:
    error = assert_error_shape(response, 401, "unauthorized")
    assert message_part in str(error["message"]), error
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers


# --- register -------------------------------------------------------------------------------------------------


async def test_registering_answers_201_with_the_account_and_stores_an_argon2_hash(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    email = new_email()
    r = await client.post(REGISTER, json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "email", "timezone", "created_at"}
    assert body["timezone"] == "UTC"
    assert body["email"] == email
    uuid.UUID(body["id"])
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    async with db.connect() as conn:
        stored = (await conn.execute(select(User.password_hash).where(User.email == email))).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_registering_a_taken_email_answers_409_whatever_its_case(client: httpx.AsyncClient) -> None:
    email = new_email()
    assert (await client.post(REGISTER, json={"email": email, "password": PASSWORD})).status_code == 201
    r = await client.post(REGISTER, json={"email": email.upper(), "password": "another password"})
    error = assert_error_shape(r, 409, "conflict")
    assert "already exists" in str(error["message"])


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        pytest.param({"email": "not-an-email", "password": PASSWORD}, "email", "email", id="bad_email"),
        pytest.param({"email": "a@example.com", "password": "short"}, "password", "at least 8", id="short_password"),
        pytest.param({"password": PASSWORD}, "email", "required", id="missing_email"),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "admin": True},
            "admin",
            "not permitted",
            id="unknown_field",
        ),
    ],
)
async def test_registering_with_bad_input_answers_422_naming_the_field(
    client: httpx.AsyncClient, payload: dict[str, object], field: str, message_part: str
) -> None:
    error = assert_error_shape(await client.post(REGISTER, json=payload), 422, "invalid_input")
    details = {d["field"]: d["message"] for d in error["details"]}  # type: ignore[attr-defined]
    assert field in details, error
    assert message_part in details[field].lower(), error
    assert field in str(error["message"])


# --- login and me ---------------------------------------------------------------------------------------------


async def test_login_answers_a_30_minute_hs256_access_token_and_a_refresh_token(
    client: httpx.AsyncClient, settings: Settings, db: AsyncEngine
) -> None:
    email = new_email()
    await client.post(REGISTER, json={"email": email, "password": PASSWORD})
    r = await client.post(LOGIN, json={"email": email.upper(), "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["user"]["email"] == email
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], settings.secret_key.get_secret_value(), algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert claims["sub"] == body["user"]["id"]
    # Only the refresh token's hash is stored.
    async with db.connect() as conn:
        stored = (
            (
                await conn.execute(
                    select(RefreshToken.token_hash).where(RefreshToken.user_id == uuid.UUID(body["user"]["id"]))
                )
            )
            .scalars()
            .all()
        )
    assert stored == [hashlib.sha256(body["refresh_token"].encode()).hexdigest()]


async def test_a_wrong_password_and_an_unknown_email_answer_the_same_401(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    tokens = account
    wrong_password = await client.post(LOGIN, json={"email": tokens["email"], "password": "wrong password"})
    unknown_email = await client.post(LOGIN, json={"email": new_email(), "password": PASSWORD})
    assert_unauthorized(wrong_password, "e-mail address or password is wrong")
    assert_unauthorized(unknown_email, "e-mail address or password is wrong")
    assert wrong_password.json()["error"]["message"] == unknown_email.json()["error"]["message"]


async def test_me_answers_the_signed_in_account(client: httpx.AsyncClient, account: dict[str, str]) -> None:
    tokens = account
    r = await client.get(ME, headers=bearer(tokens["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == tokens["email"]
    assert "password_hash" not in r.text


async def test_me_without_a_token_answers_401_saying_how_to_sign_in(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await client.get(ME), "Sign in first")


# --- bad tokens -----------------------------------------------------------------------------------------------


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims_of(settings: Settings, access_token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(access_token, settings.secret_key.get_secret_value(), algorithms=["HS256"])
    return claims


async def test_an_access_token_with_alg_none_answers_401(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    claims = _claims_of(settings, tokens["access_token"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_unauthorized(await client.get(ME, headers=bearer(unsigned)), "algorithm this service does not accept")
    # The same claims, properly signed, work: only the algorithm was wrong.
    assert (await client.get(ME, headers=bearer(tokens["access_token"]))).status_code == 200


async def test_an_access_token_signed_with_another_algorithm_answers_401(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    claims = _claims_of(settings, tokens["access_token"])
    hs512 = jwt.encode(claims, settings.secret_key.get_secret_value() * 2, algorithm="HS512")
    assert_unauthorized(await client.get(ME, headers=bearer(hs512)), "algorithm this service does not accept")


async def test_an_access_token_signed_with_a_wrong_key_answers_401(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    forged = jwt.encode(_claims_of(settings, tokens["access_token"]), "another-key-" + "k" * 40, algorithm="HS256")
    assert_unauthorized(await client.get(ME, headers=bearer(forged)), "signature is not valid")


async def test_an_expired_access_token_answers_401(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    claims = _claims_of(settings, tokens["access_token"])
    now = datetime.now(UTC)
    claims.update(iat=now - timedelta(minutes=45), exp=now - timedelta(minutes=15))
    expired = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")
    assert_unauthorized(await client.get(ME, headers=bearer(expired)), "has expired")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="not_a_jwt"),
        pytest.param("a.b.c", id="three_parts_of_nonsense"),
    ],
)
async def test_a_malformed_access_token_answers_401(client: httpx.AsyncClient, token: str) -> None:
    assert_unauthorized(await client.get(ME, headers=bearer(token)), "malformed")


async def test_a_correctly_signed_token_whose_payload_is_not_json_answers_401(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{base64.urlsafe_b64encode(b'not json').decode()}"
    mac = hmac.new(settings.secret_key.get_secret_value().encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert_unauthorized(await client.get(ME, headers=bearer(token)), "malformed")


async def test_a_refresh_token_is_not_accepted_as_an_access_token(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    tokens = account
    assert_unauthorized(await client.get(ME, headers=bearer(tokens["refresh_token"])), "malformed")


async def test_a_signed_token_of_another_type_answers_401(
    client: httpx.AsyncClient, settings: Settings, account: dict[str, str]
) -> None:
    tokens = account
    claims = _claims_of(settings, tokens["access_token"])
    claims["typ"] = "refresh"
    other = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")
    assert_unauthorized(await client.get(ME, headers=bearer(other)), "not an access token")


async def test_the_token_of_a_deleted_account_answers_401_on_every_route_with_the_session_cache_off(
    settings: Settings, db: AsyncEngine, account: dict[str, str]
) -> None:
    # With the cache on, reads see the deletion once the cached answer expires (test_performance_paths.py);
    # off, every route sees it at once.
    tokens = account
    headers = bearer(tokens["access_token"])
    uncached = settings.model_copy(update={"active_session_cache_seconds": 0})
    async with app_client(uncached) as client:
        await client.get("/api/v1/tasks", headers=headers)
        created = await client.post("/api/v1/tasks", json={"title": "before"}, headers=headers)
        assert created.status_code == 201
        async with db.begin() as conn:
            await conn.execute(delete(User).where(User.email == tokens["email"]))
        for response in (
            await client.get(ME, headers=headers),
            await client.get("/api/v1/tasks", headers=headers),
            await client.post("/api/v1/tasks", json={"title": "after"}, headers=headers),
            await client.get(f"/api/v1/tasks/{created.json()['id']}", headers=headers),
        ):
            assert_unauthorized(response, "account for this token no longer exists")
