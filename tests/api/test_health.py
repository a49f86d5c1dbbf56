"""Liveness and readiness, with the database or Redis away."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import app_client, assert_error_shape, bearer
from tests.conftest import REDIS_URL, make_settings
from tests.support import free_port


def closed_port_postgres() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    return f"postgresql://postgres@127.0.0.1:{free_port()}/todochat"


async def test_liveness_answers_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readiness_answers_200_with_a_database_check(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["duration_ms"] >= 0
    assert "redis" not in body["checks"]  # REDIS_URL is not set for this server
    assert "retry-after" not in r.headers


async def test_with_the_database_away_liveness_still_answers_and_readiness_answers_503() -> None:
    async with app_client(make_settings(closed_port_postgres())) as client:
        live = await client.get("/health")
        ready = await client.get("/health/ready")
    assert live.status_code == 200, "liveness must not touch the database"
    assert ready.status_code == 503, ready.text
    assert ready.headers["retry-after"] == "5"
    body = ready.json()
    assert body["status"] == "fail"
    database = body["checks"]["database"]
    assert database["status"] == "fail"
    assert "refused" in database["error"].lower() or "connect" in database["error"].lower(), database
    assert database["duration_ms"] >= 0


async def test_with_the_database_away_an_api_call_answers_503_with_retry_after(account: dict[str, str]) -> None:
    """A valid token from a working instance, presented to one whose database is down."""
    async with app_client(make_settings(closed_port_postgres())) as client:
        r = await client.get("/api/v1/tasks", headers=bearer(account["access_token"]))
    error = assert_error_shape(r, 503, "database_unavailable")
    assert r.headers["retry-after"] == "5"
    assert "try again" in str(error["message"])


@pytest.mark.redis
async def test_readiness_checks_redis_when_it_is_configured(database_url: str) -> None:
    async with app_client(make_settings(database_url, redis_url=REDIS_URL)) as client:
        r = await client.get("/health/ready")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["redis"]["status"] == "ok"
    assert r.json()["checks"]["database"]["status"] == "ok"


async def test_with_redis_configured_but_away_readiness_answers_503_naming_redis(database_url: str) -> None:
    redis_url = f"redis://127.0.0.1:{free_port()}/0"
    async with app_client(make_settings(database_url, redis_url=redis_url)) as client:
        r = await client.get("/health/ready")
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    checks = r.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "fail"
    assert checks["redis"]["error"]
