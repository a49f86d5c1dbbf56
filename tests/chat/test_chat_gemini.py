"""The same conversation through the real google-genai client, against `todochat fake-gemini` over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
from structlog.testing import capture_logs

from tests.chat.helpers import DroppingProxy, dropping_proxy, fake_gemini_in_thread, tasks_of
from tests.chat.scenario import everyday_conversation
from tests.conftest import make_settings, signup
from tests.support import LiveServer


def gemini_settings(database_url: str, gemini_url: str, **overrides: object) -> object:
    options: dict[str, object] = {"gemini_max_attempts": 2, "gemini_timeout_seconds": 10, **overrides}
    return make_settings(database_url, gemini_api_key="any-key", gemini_base_url=gemini_url, **options)


async def test_the_everyday_conversation_works_through_google_genai(database_url: str, fake_gemini_url: str) -> None:
    with LiveServer.start(gemini_settings(database_url, fake_gemini_url)) as live:  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            await everyday_conversation(client, headers)

            async with client.stream(
                "POST", "/api/v1/chat/stream", json={"message": "What's pending?"}, headers=headers
            ) as r:
                assert r.status_code == 200
                body = (await r.aread()).decode()
            assert "event: delta" in body
            assert "event: done" in body
            assert "Call mom tonight" in body
    health = httpx.get(fake_gemini_url + "/health").json()
    assert health["requests"] >= 19  # every round went over HTTP to the fake Gemini


async def test_a_failing_model_gives_a_clear_503_and_keeps_the_message(database_url: str) -> None:
    with (
        fake_gemini_in_thread(error_rate=1.0, error_codes=[500, 503]) as gemini_url,
        LiveServer.start(gemini_settings(database_url, gemini_url)) as live,  # type: ignore[arg-type]
    ):
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            r = await client.post("/api/v1/chat", json={"message": "Add a task to buy stamps"}, headers=headers)
            assert r.status_code == 503
            error = r.json()["error"]
            assert error["code"] == "model_unavailable"
            assert "unavailable" in error["message"]
            assert "Traceback" not in r.text
            assert r.headers["retry-after"] == "5"

            r = await client.post("/api/v1/chat/stream", json={"message": "What's pending?"}, headers=headers)
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "model_unavailable"

            conversations = (await client.get("/api/v1/conversations", headers=headers)).json()["items"]
            stored = []
            for conversation in conversations:
                r = await client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=headers)
                stored += [(m["role"], m["content"]) for m in r.json()["items"]]
            assert sorted(stored) == [("user", "Add a task to buy stamps"), ("user", "What's pending?")]
            assert await tasks_of(client, headers) == {}
        # Each turn was retried (two attempts) before giving up.
        assert httpx.get(gemini_url + "/health").json()["requests"] == 4


async def test_fake_gemini_answers_429_beyond_its_concurrency_cap() -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
    url_path = "/v1beta/models/gemini-2.5-flash:generateContent"
    with fake_gemini_in_thread(max_concurrency=1, ttft_ms=1500) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30, headers={"x-goog-api-key": "k"}) as client:
            first = asyncio.create_task(client.post(url_path, json=body))
            for _ in range(100):  # wait until the first request is being answered
                if httpx.get(url + "/health").json()["in_flight"] == 1:
                    break
                await asyncio.sleep(0.05)
            second = await client.post(url_path, json=body)
            assert second.status_code == 429
            assert second.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
            r = await first
            assert r.status_code == 200
            assert r.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("Hello")


async def test_fake_gemini_streams_words_as_server_sent_events(fake_gemini_url: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
    async with httpx.AsyncClient(base_url=fake_gemini_url, timeout=30, headers={"x-goog-api-key": "k"}) as client:
        r = await client.post("/v1beta/models/m:streamGenerateContent", params={"alt": "sse"}, json=body)
    chunks = [json.loads(line.removeprefix("data: ")) for line in r.text.splitlines() if line.startswith("data: ")]
    assert len(chunks) > 3
    assert "finishReason" in chunks[-1]["candidates"][0]
    assert "usageMetadata" in chunks[-1]
    text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    assert text.startswith("Hello!")


@contextlib.asynccontextmanager
async def behind_a_dropping_proxy(
    database_url: str, gemini_url: str, *, drops: int
) -> AsyncIterator[tuple[DroppingProxy, httpx.AsyncClient, dict[str, str]]]:
    """A live app whose Gemini calls go through a proxy that drops its first `drops` connections, and a signed-up
    client of it (google-genai's own retries off, INFO logs)."""
    with dropping_proxy(gemini_url, drops=drops) as proxy:
        settings = gemini_settings(database_url, proxy.url, gemini_max_attempts=1, log_level="INFO")
        with LiveServer.start(settings) as live:  # type: ignore[arg-type]
            async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
                yield proxy, client, await signup(client)


async def test_a_connection_dropped_unanswered_is_tried_once_more(database_url: str, fake_gemini_url: str) -> None:
    async with behind_a_dropping_proxy(database_url, fake_gemini_url, drops=1) as (proxy, client, headers):
        with capture_logs() as logs:
            r = await client.post("/api/v1/chat", json={"message": "Add a task to buy stamps"}, headers=headers)
        assert r.status_code == 200, r.text
        dropped = [e for e in logs if e["event"] == "gemini_connection_dropped"]
        assert [(e["error_type"], e["retrying"]) for e in dropped] == [("RemoteProtocolError", True)]
        assert [task["title"] for task in (await tasks_of(client, headers)).values()] == ["Buy stamps"]
    assert proxy.dropped == 1
    assert proxy.forwarded >= 1


async def test_a_streamed_turn_whose_connection_drops_before_the_first_chunk_is_tried_once_more(
    database_url: str, fake_gemini_url: str
) -> None:
    async with behind_a_dropping_proxy(database_url, fake_gemini_url, drops=1) as (proxy, client, headers):
        message = {"message": "Add a task to buy stamps"}
        async with client.stream("POST", "/api/v1/chat/stream", json=message, headers=headers) as r:
            assert r.status_code == 200
            body = (await r.aread()).decode()
        assert "event: done" in body
        assert "event: error" not in body
        assert [task["title"] for task in (await tasks_of(client, headers)).values()] == ["Buy stamps"]
    assert proxy.dropped == 1


async def test_a_connection_dropped_twice_gives_the_clear_503(database_url: str, fake_gemini_url: str) -> None:
    async with behind_a_dropping_proxy(database_url, fake_gemini_url, drops=2) as (proxy, client, headers):
        with capture_logs() as logs:
            r = await client.post("/api/v1/chat", json={"message": "Add a task to buy stamps"}, headers=headers)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "model_unavailable"
        # The turn's log line says why, for whoever reads it without the trace.
        turns = [e for e in logs if e["event"] == "chat_turn"]
        assert [(e["outcome"], e["error_type"]) for e in turns] == [("error", "RemoteProtocolError")]
    assert proxy.dropped == 2
