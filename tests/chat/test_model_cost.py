"""Time to first chunk, cached tokens and cost, measured through the real google-genai client against the fake
Gemini server over HTTP, and the offline model's turns costing nothing."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from app.agent.pricing import DEFAULT_PRICES
from telemetry import conventions as c
from tests.chat.helpers import fake_gemini_in_thread
from tests.conftest import make_settings, signup
from tests.support import LiveServer

GEMINI = {c.LABEL_GEN_AI_OPERATION: "chat", c.LABEL_GEN_AI_PROVIDER: c.PROVIDER_GEMINI}
MODEL = "gemini-2.5-flash"


def value(name: str, **labels: str) -> float:
    """A sample's value in this process's registry (the live servers run in it), 0 when it does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def tokens(token_type: str) -> float:
    labels = {**GEMINI, c.LABEL_GEN_AI_MODEL: MODEL, c.LABEL_GEN_AI_TOKEN_TYPE: token_type}
    return value(f"{c.GEN_AI_TOKEN_USAGE}_sum", **labels)


def readings() -> dict[str, float]:
    model = {**GEMINI, c.LABEL_GEN_AI_MODEL: MODEL}
    ttft = c.GEN_AI_TIME_TO_FIRST_CHUNK
    return {
        "ttft_count": value(f"{ttft}_count", **model),
        "ttft_fast": value(f"{ttft}_bucket", **model, le="0.16"),
        "ttft_sum": value(f"{ttft}_sum", **model),
        "input": tokens(c.TOKEN_INPUT),
        "output": tokens(c.TOKEN_OUTPUT),
        "cache_read": tokens(c.TOKEN_CACHE_READ),
        "cost": value(c.LLM_COST, **{c.LABEL_GEN_AI_PROVIDER: c.PROVIDER_GEMINI, c.LABEL_GEN_AI_MODEL: MODEL}),
        "turn_cost_count": value(f"{c.CHAT_TURN_COST}_count"),
        "turn_cost_sum": value(f"{c.CHAT_TURN_COST}_sum"),
    }


def change(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in before}


@contextlib.contextmanager
def info_logs() -> Iterator[list[dict[str, Any]]]:
    """The log lines written meanwhile, INFO and up (tests run with a higher level)."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(wrapper_class=wrapper)


def gemini_settings(database_url: str, gemini_url: str) -> object:
    return make_settings(
        database_url, gemini_api_key="any-key", gemini_base_url=gemini_url, gemini_max_attempts=1, gemini_model=MODEL
    )


@pytest.fixture(scope="module")
def slow_caching_gemini() -> object:
    """A fake Gemini that takes 300 ms to its first chunk and reports half of every prompt as cached."""
    with fake_gemini_in_thread(ttft_ms=300, cached_share=0.5) as url:
        yield url


async def test_a_streamed_turn_records_time_to_first_chunk_cached_tokens_and_its_list_price(
    sqlite_url: str, slow_caching_gemini: str
) -> None:
    with LiveServer.start(gemini_settings(sqlite_url, slow_caching_gemini)) as live:  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            before = readings()
            with info_logs() as logs:
                async with client.stream(
                    "POST", "/api/v1/chat/stream", json={"message": "Add a task to buy stamps"}, headers=headers
                ) as r:
                    assert r.status_code == 200
                    body = (await r.aread()).decode()
            assert "event: done" in body
            moved = change(before, readings())

    # two streamed rounds (add_task, then the reply), each at least 300 ms to its first chunk
    assert moved["ttft_count"] == 2
    assert moved["ttft_fast"] == 0
    assert 0.6 <= moved["ttft_sum"] < 5
    assert moved["input"] > 0
    assert moved["output"] > 0
    # half of each call's prompt, rounded down per call
    assert moved["input"] / 2 - 2 <= moved["cache_read"] <= moved["input"] / 2
    price = DEFAULT_PRICES[MODEL]
    expected = (
        (moved["input"] - moved["cache_read"]) * price.input
        + moved["cache_read"] * price.cached_input
        + moved["output"] * price.output
    ) / 1_000_000
    assert moved["cost"] == pytest.approx(expected, rel=1e-9)
    assert moved["turn_cost_count"] == 1
    assert moved["turn_cost_sum"] == pytest.approx(expected, rel=1e-9)
    turn = next(e for e in logs if e["event"] == "chat_turn")
    assert turn["cost_usd"] == pytest.approx(expected, abs=1e-8)
    assert turn["streamed"] is True


async def test_whole_answer_turns_have_no_time_to_first_chunk_and_the_conversation_keeps_their_running_cost(
    database_url: str, slow_caching_gemini: str
) -> None:
    with LiveServer.start(gemini_settings(database_url, slow_caching_gemini)) as live:  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            before = readings()
            with info_logs() as logs:
                r = await client.post("/api/v1/chat", json={"message": "Add a task to buy stamps"}, headers=headers)
                assert r.status_code == 200, r.text
                again = {"message": "What's pending?", "conversation_id": r.json()["conversation_id"]}
                assert (await client.post("/api/v1/chat", json=again, headers=headers)).status_code == 200
            moved = change(before, readings())
    assert moved["ttft_count"] == 0  # the conventions record it for streamed calls only
    assert moved["turn_cost_count"] == 2
    first, second = [e for e in logs if e["event"] == "chat_turn"]
    assert 0 < first["cost_usd"] == pytest.approx(first["conversation_cost_usd"])
    assert second["conversation_cost_usd"] == pytest.approx(first["cost_usd"] + second["cost_usd"], abs=1e-8)
    assert moved["cost"] == pytest.approx(second["conversation_cost_usd"], abs=1e-7)


async def test_a_turn_answered_by_the_offline_model_costs_nothing(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    before = readings()
    with info_logs() as logs:
        r = await client.post("/api/v1/chat", json={"message": "Add a task to water the plants"}, headers=headers)
    assert r.status_code == 200, r.text
    moved = change(before, readings())
    assert moved["turn_cost_count"] == 1
    assert moved["turn_cost_sum"] == 0
    offline = {c.LABEL_GEN_AI_PROVIDER: c.PROVIDER_OFFLINE, c.LABEL_GEN_AI_MODEL: "todochat-offline-1"}
    assert value(c.LLM_COST, **offline) == 0
    assert next(e for e in logs if e["event"] == "chat_turn")["cost_usd"] == 0
