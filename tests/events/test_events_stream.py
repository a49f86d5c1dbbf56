"""GET /api/v1/events: events committed anywhere reach the user's streams, only theirs, resumable by id."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.services import events
from tests.api.helpers import make_account
from tests.support import LiveServer


async def publish(engine: AsyncEngine, user_id: uuid.UUID, payload: dict[str, Any]) -> None:
    async with AsyncSession(engine) as session:
        events.publish(session, user_id=user_id, kind=events.TASKS, payload=payload)
        await session.commit()


def user_of(token: str, settings: Settings) -> uuid.UUID:
    claims = jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=["HS256"])
    return uuid.UUID(claims["sub"])


async def read_events(response: httpx.Response, count: int, timeout: float) -> list[dict[str, Any]]:
    """The next `count` events of the stream (heartbeats and comments skipped)."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    lines = response.aiter_lines()
    async with asyncio.timeout(timeout):
        while len(found) < count:
            line = await anext(lines)
            if not line:
                if "data" in current:
                    found.append(current)
                current = {}
            elif not line.startswith(":") and ":" in line:
                name, _, value = line.partition(":")
                current[name] = value.strip()
    return found


async def test_an_event_committed_through_another_instance_reaches_the_stream_within_a_second(
    events_server: LiveServer, events_settings: Settings, other_instance: AsyncEngine
) -> None:
    account = await make_account(other_instance, events_settings)
    user_id = user_of(account["access_token"], events_settings)
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    async with (
        httpx.AsyncClient(base_url=events_server.url, timeout=10) as client,
        client.stream("GET", "/api/v1/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        await asyncio.sleep(0.3)  # the stream is subscribed once its first line is out; give the poller a turn
        started = time.monotonic()
        await publish(other_instance, user_id, {"action": "created", "task_ids": [1]})
        [event] = await read_events(response, 1, timeout=3)
        elapsed = time.monotonic() - started
    assert event["event"] == "tasks"
    assert json.loads(event["data"]) == {"action": "created", "task_ids": [1]}
    assert int(event["id"]) > 0
    assert elapsed < 1.0


async def test_last_event_id_resumes_after_that_event_and_never_shows_another_users_events(
    events_server: LiveServer, events_settings: Settings, other_instance: AsyncEngine
) -> None:
    account = await make_account(other_instance, events_settings)
    stranger = await make_account(other_instance, events_settings)
    user_id = user_of(account["access_token"], events_settings)
    for n in range(3):
        await publish(other_instance, user_id, {"n": n})
        await publish(other_instance, user_of(stranger["access_token"], events_settings), {"stranger": n})
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    async with httpx.AsyncClient(base_url=events_server.url, timeout=10) as client:
        async with client.stream("GET", "/api/v1/events", headers=headers, params={"after": 0}) as response:
            first = await read_events(response, 3, timeout=3)
        assert [json.loads(e["data"]) for e in first] == [{"n": 0}, {"n": 1}, {"n": 2}]
        resume = {**headers, "Last-Event-ID": first[0]["id"]}
        async with client.stream("GET", "/api/v1/events", headers=resume) as response:
            again = await read_events(response, 2, timeout=3)
    assert [e["id"] for e in again] == [first[1]["id"], first[2]["id"]]


async def test_the_stream_refuses_a_caller_without_a_token_with_the_error_body(events_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=events_server.url, timeout=10) as client:
        response = await client.get("/api/v1/events")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_the_access_token_cookie_opens_the_stream_as_eventsource_sends_it(
    events_server: LiveServer, events_settings: Settings, other_instance: AsyncEngine
) -> None:
    account = await make_account(other_instance, events_settings)
    cookies = {"access_token": account["access_token"]}
    async with (
        httpx.AsyncClient(base_url=events_server.url, timeout=10, cookies=cookies) as client,
        client.stream("GET", "/api/v1/events") as response,
    ):
        assert response.status_code == 200


def _metric(text: str, name: str, route: str) -> float:
    for line in text.splitlines():
        if line.startswith(name) and f'http_route="{route}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_an_open_stream_counts_as_a_request_only_until_it_starts_answering(
    events_server: LiveServer, events_settings: Settings, other_instance: AsyncEngine
) -> None:
    account = await make_account(other_instance, events_settings)
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    route = "/api/v1/events"
    async with httpx.AsyncClient(base_url=events_server.url, timeout=10) as client:
        before = _metric((await client.get("/metrics")).text, "http_server_request_duration_seconds_sum", route)
        async with client.stream("GET", route, headers=headers) as response:
            assert response.status_code == 200
            await asyncio.sleep(1.5)
            during = (await client.get("/metrics")).text
        in_flight = [line for line in during.splitlines() if line.startswith("http_server_active_requests ")]
        await asyncio.sleep(0.5)
        after = _metric((await client.get("/metrics")).text, "http_server_request_duration_seconds_sum", route)
    # The scrape itself is the one request in flight while the stream is open.
    assert in_flight == ["http_server_active_requests 1.0"], in_flight
    assert after - before < 1.0, "the stream's open time reached the latency histogram"
