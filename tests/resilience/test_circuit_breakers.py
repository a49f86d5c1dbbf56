"""Circuit breakers in front of Gemini and the MCP server: fail fast while a dependency is down, then try again."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import httpx

from app.agent.fake_gemini import FakeGeminiConfig, create_fake_gemini_app
from app.core.circuit import CircuitBreaker
from app.runtime import Runtime
from tests.chat.helpers import mcp_process, say, serve_in_thread
from tests.conftest import make_settings, signup
from tests.support import LiveServer, client_for, free_port

THRESHOLD = 5


def runtime_of(server: LiveServer) -> Runtime:
    runtime: Runtime = server.server.config.app.state.runtime
    return runtime


def gauge(text: str, check: str) -> float:
    prefix = f'todochat_circuit_breaker_open{{check="{check}"}} '
    values = [float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)]
    assert len(values) == 1, f"one {check} gauge line expected"
    return values[0]


def requests_seen(gemini_url: str) -> int:
    count: int = httpx.get(gemini_url + "/health").json()["requests"]
    return count


async def test_a_failing_gemini_opens_its_circuit_turns_fail_fast_and_a_trial_closes_it(sqlite_url: str) -> None:
    fake_app = create_fake_gemini_app(FakeGeminiConfig(error_rate=1.0, error_codes=[503]))
    settings = make_settings(
        sqlite_url, gemini_api_key="any-key", gemini_max_attempts=2, gemini_timeout_seconds=10, rate_limit_enabled=False
    )
    with serve_in_thread(fake_app) as gemini_url:
        settings = settings.model_copy(update={"gemini_base_url": gemini_url})
        with LiveServer.start(settings) as server:
            breaker: CircuitBreaker = runtime_of(server).chat_model.breaker  # type: ignore[union-attr]  # Gemini's
            async with client_for(server) as client:
                auth = await signup(client)
                for attempt in range(THRESHOLD):
                    r = await client.post("/api/v1/chat", json={"message": f"add a task {attempt}"}, headers=auth)
                    assert r.status_code == 503, r.text
                    assert r.json()["error"]["code"] == "model_unavailable"
                # google-genai retried each call once before the breaker counted it as one failure.
                assert requests_seen(gemini_url) == THRESHOLD * 2
                assert gauge((await client.get("/metrics")).text, "gemini") == 1

                # Open: turns are refused at once, without a request to Gemini, with a real Retry-After.
                r = await client.post("/api/v1/chat", json={"message": "add a task to buy stamps"}, headers=auth)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "model_unavailable"
                assert "unavailable" in r.json()["error"]["message"]
                assert 5 < int(r.headers["retry-after"]) <= 30
                r = await client.post("/api/v1/chat/stream", json={"message": "what's pending?"}, headers=auth)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "model_unavailable"
                assert int(r.headers["retry-after"]) > 5
                assert requests_seen(gemini_url) == THRESHOLD * 2, "no call reached Gemini while the circuit was open"

                # Gemini recovers and the reset time passes (shortened here rather than waited for): one trial
                # goes through, and its success closes the circuit.
                fake_app.state.fake.config.error_rate = 0.0
                breaker.reset_seconds = 0.01
                reply = await say(client, auth, "add a task to buy stamps")
                assert reply["tool_calls"][0]["name"] == "add_task"
                assert gauge((await client.get("/metrics")).text, "gemini") == 0
                await say(client, auth, "what's pending?")
                assert requests_seen(gemini_url) > THRESHOLD * 2 + 2


@contextlib.contextmanager
def dropping_listener(port: int) -> Iterator[list[int]]:
    """A socket on `port` that accepts connections and closes them unanswered; yields a one-item connection count."""
    count = [0]
    stop = threading.Event()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    sock.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            count[0] += 1
            conn.close()

    thread = threading.Thread(target=serve, name=f"dropping-{port}", daemon=True)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


async def test_an_unreachable_mcp_server_opens_its_circuit_and_chat_fails_fast_until_it_is_back(
    sqlite_url: str,
) -> None:
    port = free_port()
    mcp_url = f"http://127.0.0.1:{port}/mcp/"
    settings = make_settings(sqlite_url, mcp_server_url=mcp_url, rate_limit_enabled=False)
    with LiveServer.start(settings) as server:
        breaker = runtime_of(server).mcp_breaker
        async with client_for(server) as client:
            auth = await signup(client)
            with dropping_listener(port) as connections:
                for attempt in range(THRESHOLD):
                    r = await client.post("/api/v1/chat", json={"message": f"add a task {attempt}"}, headers=auth)
                    assert r.status_code == 503, r.text
                    assert r.json()["error"]["code"] == "tools_unavailable"
                seen = connections[0]
                assert seen >= THRESHOLD
                assert gauge((await client.get("/metrics")).text, "mcp") == 1

                r = await client.post("/api/v1/chat", json={"message": "what's pending?"}, headers=auth)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "tools_unavailable"
                assert int(r.headers["retry-after"]) > 5
                assert connections[0] == seen, "no connection was attempted while the circuit was open"

            with mcp_process(settings, port):
                breaker.reset_seconds = 0.01  # the reset time passes (shortened rather than waited for)
                reply = await say(client, auth, "add a task to buy stamps")
                assert reply["tool_calls"][0]["result"]["status"] == "created"
                assert gauge((await client.get("/metrics")).text, "mcp") == 0
