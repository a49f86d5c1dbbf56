"""Rate limits shared through the real Redis, and the fail-open policy when Redis cannot be reached."""

from __future__ import annotations

import os
import time

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from tests.conftest import signup
from tests.support import client_for, fake_ip, free_port, live

BACKEND_ERRORS = "todochat_rate_limit_backend_errors_total"


def _backend_errors() -> float:
    return REGISTRY.get_sample_value(BACKEND_ERRORS) or 0.0


@pytest.mark.redis
async def test_two_instances_share_one_budget_through_redis(sqlite_url: str) -> None:
    redis_url = os.environ["TEST_REDIS_URL"]
    with (
        live(sqlite_url, redis_url=redis_url, rate_limit_per_minute=5) as first,
        live(sqlite_url, redis_url=redis_url, rate_limit_per_minute=5) as second,
    ):
        async with client_for(first) as a, client_for(second) as b:
            auth = {**await signup(a), "X-Forwarded-For": fake_ip()}
            a.cookies.clear()
            answers = [(await a.get("/api/v1/tasks", headers=auth)).status_code for _ in range(3)]
            answers += [(await b.get("/api/v1/tasks", headers=auth)).status_code for _ in range(2)]
            assert answers == [200] * 5
            refused = await a.get("/api/v1/tasks", headers=auth)
            assert refused.status_code == 429
            assert (await b.get("/api/v1/tasks", headers=auth)).status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


async def test_when_redis_is_unreachable_requests_are_served_and_counted_as_backend_errors(sqlite_url: str) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with live(sqlite_url, redis_url=closed, rate_limit_per_minute=2) as server:
        async with client_for(server) as client:
            before = _backend_errors()
            with capture_logs() as logs:
                started = time.perf_counter()
                answers = [(await client.get("/health")).status_code for _ in range(1)]
                answers += [(await client.get("/api/v1/auth/me")).status_code for _ in range(10)]
                elapsed = time.perf_counter() - started
    assert answers == [200] + [401] * 10, "fail open: nothing is refused, nothing fails with a 500"
    assert _backend_errors() - before == 10
    warnings = [e for e in logs if e.get("event") == "rate_limit_store_unavailable"]
    assert len(warnings) == 1, "one log line per outage, not one per request"
    assert warnings[0]["policy"] == "fail_open"
    print(f"10 requests with Redis unreachable took {elapsed * 1000:.0f} ms in all")
