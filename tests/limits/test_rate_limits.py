"""Rate limits through the live stack, in memory (no REDIS_URL)."""

from __future__ import annotations

import uuid

from tests.conftest import make_settings, signup
from tests.support import LiveServer, client_for, fake_ip, forged_token, live

RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy")


async def test_the_101st_request_in_a_minute_answers_429_with_retry_after(hardened_sqlite: LiveServer) -> None:
    async with client_for(hardened_sqlite) as client:
        auth = await signup(client)
        statuses = []
        for _ in range(100):
            r = await client.get("/api/v1/tasks", headers=auth)
            statuses.append(r.status_code)
        assert statuses == [200] * 100
        assert r.headers["ratelimit-remaining"] == "0"
        refused = await client.get("/api/v1/tasks", headers=auth)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "100 per 60 seconds" in error["message"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "100"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]


async def test_normal_responses_carry_ratelimit_headers_counting_down(hardened_sqlite: LiveServer) -> None:
    async with client_for(hardened_sqlite) as client:
        auth = await signup(client)
        first = await client.get("/api/v1/tasks", headers=auth)
        second = await client.get("/api/v1/tasks", headers=auth)
    assert all(h in first.headers for h in RATE_HEADERS)
    assert first.headers["ratelimit-limit"] == "100"
    assert first.headers["ratelimit-policy"] == "100;w=60"
    assert int(second.headers["ratelimit-remaining"]) == int(first.headers["ratelimit-remaining"]) - 1
    assert 1 <= int(first.headers["ratelimit-reset"]) <= 60


async def test_each_user_has_a_budget_of_their_own_and_anonymous_callers_are_limited_by_address(
    sqlite_url: str,
) -> None:
    with live(sqlite_url, rate_limit_per_minute=5) as server:
        async with client_for(server) as client:
            ip = {"X-Forwarded-For": fake_ip()}
            alice = {**await signup(client), **ip}
            client.cookies.clear()  # otherwise bob's sign-up would count against alice, whose cookie it carries
            bob = {**await signup(client), **ip}
            client.cookies.clear()
            for _ in range(5):
                assert (await client.get("/api/v1/tasks", headers=alice)).status_code == 200
            assert (await client.get("/api/v1/tasks", headers=alice)).status_code == 429
            assert (await client.get("/api/v1/tasks", headers=bob)).status_code == 200, "bob is not alice"

            anonymous = {"X-Forwarded-For": fake_ip()}
            answers = [(await client.get("/api/v1/auth/me", headers=anonymous)).status_code for _ in range(6)]
            assert answers == [401] * 5 + [429]
            other_address = {"X-Forwarded-For": fake_ip()}
            assert (await client.get("/api/v1/auth/me", headers=other_address)).status_code == 401


async def test_a_forged_token_cannot_spend_its_victims_budget(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, rate_limit_enabled=True, rate_limit_per_minute=3)
    with LiveServer.start(settings) as server:
        async with client_for(server) as client:
            victim = await signup(client)
            me = await client.get("/api/v1/auth/me", headers=victim)
            victim_id = uuid.UUID(me.json()["id"])
            forged = forged_token(settings, user_id=victim_id, key="not-the-service-secret-" + "y" * 32)
            attacker = {"Authorization": f"Bearer {forged}", "X-Forwarded-For": fake_ip()}
            answers = [(await client.get("/api/v1/tasks", headers=attacker)).status_code for _ in range(4)]
            assert answers == [401, 401, 429, 429] or answers == [401, 401, 401, 429]
            assert (await client.get("/api/v1/tasks", headers=victim)).status_code == 200


async def test_signing_in_is_limited_to_ten_a_minute_per_address(hardened_sqlite: LiveServer) -> None:
    async with client_for(hardened_sqlite) as client:
        ip = {"X-Forwarded-For": fake_ip()}
        body = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong password"}
        answers = [(await client.post("/api/v1/auth/login", json=body, headers=ip)).status_code for _ in range(11)]
        assert answers == [401] * 10 + [429]
        refused = await client.post("/api/v1/auth/login", json=body, headers=ip)
        assert "(login)" in refused.json()["error"]["message"]
        # The address is only out of sign-in attempts, not out of requests altogether.
        assert (await client.get("/api/v1/auth/me", headers=ip)).status_code == 401


async def test_chatting_spends_a_stricter_per_user_quota(sqlite_url: str) -> None:
    with live(sqlite_url, rate_limit_chat_per_minute=2) as server:
        async with client_for(server) as client:
            auth = await signup(client)
            answers = [
                (await client.post("/api/v1/chat", json={"message": "hi"}, headers=auth)).status_code for _ in range(3)
            ]
            assert 429 not in answers[:2]
            assert answers[2] == 429
            refused = await client.post("/api/v1/chat/stream", json={"message": "hi"}, headers=auth)
            assert refused.status_code == 429
            assert "(chat)" in refused.json()["error"]["message"]
            assert (await client.get("/api/v1/tasks", headers=auth)).status_code == 200


async def test_health_checks_and_metrics_are_never_limited(sqlite_url: str) -> None:
    with live(sqlite_url, rate_limit_per_minute=2) as server:
        async with client_for(server) as client:
            for path in ("/health", "/health/ready", "/metrics"):
                answers = {(await client.get(path)).status_code for _ in range(5)}
                assert 429 not in answers, path
                r = await client.get(path)
                assert "ratelimit-limit" not in r.headers


async def test_rate_limits_are_off_by_default_in_the_test_environment(sqlite_url: str) -> None:
    with live(sqlite_url, rate_limit_enabled=None, rate_limit_per_minute=1) as server:
        async with client_for(server) as client:
            answers = [(await client.get("/api/v1/auth/me")).status_code for _ in range(3)]
    assert answers == [401, 401, 401]
