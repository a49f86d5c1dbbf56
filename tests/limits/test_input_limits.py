"""Body size, JSON depth and field length limits through the live stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import signup
from tests.support import LiveServer, client_for

TEN_MB = 10 * 1024 * 1024


def _assert_error_shape(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text[:300]
    error: dict[str, object] = r.json()["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    return error


async def test_a_body_of_10_mb_and_one_byte_answers_413(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        auth = await signup(client)
        body = b'{"title": "' + b"x" * (TEN_MB + 1 - 13) + b'"}'
        assert len(body) == TEN_MB + 1
        r = await client.post("/api/v1/tasks", content=body, headers={**auth, "Content-Type": "application/json"})
    error = _assert_error_shape(r, 413, "payload_too_large")
    assert "10 MB" in str(error["message"])


async def test_a_body_of_exactly_10_mb_is_read_and_judged_on_its_content(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        auth = await signup(client)
        body = b'{"title": "' + b"x" * (TEN_MB - 13) + b'"}'
        r = await client.post("/api/v1/tasks", content=body, headers={**auth, "Content-Type": "application/json"})
    error = _assert_error_shape(r, 422, "invalid_input")
    assert "Titles can be up to 200 characters" in str(error["message"])


async def test_a_chunked_body_without_content_length_is_cut_off_at_10_mb(plain: LiveServer) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(11):
            yield b"x" * (1024 * 1024)
            await asyncio.sleep(0)
        yield b'"}'

    async with client_for(plain) as client:
        auth = await signup(client)
        request = client.build_request(
            "POST", "/api/v1/tasks", content=chunks(), headers={**auth, "Content-Type": "application/json"}
        )
        assert "content-length" not in request.headers
        assert request.headers["transfer-encoding"] == "chunked"
        try:
            r = await client.send(request)
        except (httpx.WriteError, httpx.RemoteProtocolError) as err:
            pytest.fail(f"the server hung up without an answer: {err!r}")
    _assert_error_shape(r, 413, "payload_too_large")


async def test_json_nested_deeper_than_32_levels_answers_422(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        auth = await signup(client)
        deep = '{"title": "t", "tags": ' + "[" * 33 + "]" * 33 + "}"
        r = await client.post("/api/v1/tasks", content=deep, headers={**auth, "Content-Type": "application/json"})
        error = _assert_error_shape(r, 422, "invalid_input")
        assert "deeper than 32 levels" in str(error["message"])
        shallow = '{"title": "t", "tags": ' + "[" * 30 + "]" * 30 + "}"
        r = await client.post("/api/v1/tasks", content=shallow, headers={**auth, "Content-Type": "application/json"})
        error = _assert_error_shape(r, 422, "invalid_input")
        assert "deeper" not in str(error["message"]), "within the depth limit, the schema judges the content"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"title": "x" * 201}, "title", id="a title over 200 characters"),
        pytest.param({"title": "ok", "description": "x" * 1001}, "description", id="a description over 1000"),
        pytest.param({"title": "   "}, "title", id="a blank title"),
        pytest.param({"title": "ok", "tags": [f"t{n}" for n in range(11)]}, "tags", id="more than 10 tags"),
    ],
)
async def test_task_fields_over_their_limits_answer_422_naming_the_field(
    plain: LiveServer, payload: dict[str, object], field: str
) -> None:
    async with client_for(plain) as client:
        auth = await signup(client)
        r = await client.post("/api/v1/tasks", json=payload, headers=auth)
    error = _assert_error_shape(r, 422, "invalid_input")
    assert field in str(error["message"]).lower()


async def test_a_chat_message_over_4000_characters_answers_422(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        auth = await signup(client)
        r = await client.post("/api/v1/chat", json={"message": "x" * 4001}, headers=auth)
    error = _assert_error_shape(r, 422, "invalid_input")
    assert "message" in str(error["message"])
