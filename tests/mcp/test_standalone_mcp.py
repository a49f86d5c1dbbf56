"""`todochat mcp` in its own process, without Redis: it checks sessions and accounts, and has the API's limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.models import User
from app.db.session import create_engine
from app.mcp.client import connect_tools
from tests.chat.helpers import mcp_process, token_of
from tests.conftest import signup
from tests.support import fake_ip

MCP_LIMIT_PER_MINUTE = 20
ACCEPT = {"Accept": "application/json, text/event-stream"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


@pytest.fixture(scope="module")
def mcp_alone(settings: Settings) -> Iterator[str]:
    """The standalone MCP server on the session's database, rate limited as in production (per minute here)."""
    with mcp_process(settings, RATE_LIMIT_ENABLED="true", RATE_LIMIT_PER_MINUTE=str(MCP_LIMIT_PER_MINUTE)) as url:
        yield url


@pytest.fixture
async def mcp_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as c:
        yield c


async def pending_tasks(url: str, token: str) -> dict[str, Any]:
    """The list_tasks tool's answer, called through the real MCP client with `token`."""
    async with connect_tools(url, token, partition=uuid.uuid4().hex, timeout_seconds=10) as tools:
        outcome = await tools.call("list_tasks", {"status": "pending"})
    assert not outcome.is_error, outcome.result
    return outcome.result


async def assert_refused(client: httpx.AsyncClient, url: str, token: str) -> None:
    r = await client.post(url, json=LIST_TOOLS, headers={**ACCEPT, "Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    with pytest.raises(Unauthorized):
        await pending_tasks(url, token)


async def test_the_standalone_mcp_server_refuses_the_token_of_a_signed_out_session(
    client: httpx.AsyncClient, mcp_client: httpx.AsyncClient, mcp_alone: str
) -> None:
    auth = await signup(client)
    assert (await pending_tasks(mcp_alone, token_of(auth)))["tasks"] == []

    r = await client.post("/api/v1/auth/logout", headers=auth)
    assert r.status_code == 204
    # The access token has not expired, and this process has no Redis to hear of the sign-out from.
    await assert_refused(mcp_client, mcp_alone, token_of(auth))


async def test_the_standalone_mcp_server_refuses_the_token_of_a_deleted_account(
    client: httpx.AsyncClient, mcp_client: httpx.AsyncClient, mcp_alone: str, settings: Settings
) -> None:
    email = f"leaving-{uuid.uuid4().hex[:10]}@example.com"
    auth = await signup(client, email)
    assert (await pending_tasks(mcp_alone, token_of(auth)))["tasks"] == []

    engine = create_engine(settings)  # the app's engine: SQLite enforces the cascades only with its pragmas
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(User).where(User.email == email))
    finally:
        await engine.dispose()
    await assert_refused(mcp_client, mcp_alone, token_of(auth))


async def test_the_standalone_mcp_server_answers_a_body_over_10_mb_with_413(
    mcp_client: httpx.AsyncClient, mcp_alone: str, settings: Settings
) -> None:
    body = b"x" * (settings.max_body_bytes + 1)
    headers = {**ACCEPT, "Content-Type": "application/json", "X-Forwarded-For": fake_ip()}
    r = await mcp_client.post(mcp_alone, content=body, headers=headers)
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "payload_too_large"


async def test_the_standalone_mcp_server_sends_the_security_headers(
    mcp_client: httpx.AsyncClient, mcp_alone: str
) -> None:
    base = mcp_alone.removesuffix("/mcp/")
    refused = await mcp_client.post(mcp_alone, json=LIST_TOOLS, headers={**ACCEPT, "X-Forwarded-For": fake_ip()})
    assert refused.status_code == 401
    for response in (await mcp_client.get(base + "/health"), refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_the_standalone_mcp_server_rate_limits_each_client(mcp_client: httpx.AsyncClient, mcp_alone: str) -> None:
    headers = {**ACCEPT, "X-Forwarded-For": fake_ip()}
    answers = [
        (await mcp_client.post(mcp_alone, json=LIST_TOOLS, headers=headers)).status_code
        for _ in range(MCP_LIMIT_PER_MINUTE + 1)
    ]
    assert answers[:-1] == [401] * MCP_LIMIT_PER_MINUTE
    assert answers[-1] == 429
