"""Chat helpers: `todochat fake-gemini` and `todochat mcp` as real subprocesses on free ports, and chat calls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from app.core.config import Settings
from tests.support import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
TODOCHAT = [sys.executable, "-c", "from app.cli import main; main()"]


def _env(**extra: str) -> dict[str, str]:
    # The child runs on what the test gives it: no model key, MCP URL, fake-model knobs or Redis from outside.
    prefixes = ("GEMINI_", "MCP_", "FAKE_GEMINI_", "REDIS_", "RATE_LIMIT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update({"APP_ENV": "test", "LOG_LEVEL": "WARNING"}, **extra)
    return env


@contextlib.contextmanager
def run_command(args: list[str], port: int, env: dict[str, str], ready_path: str = "/health") -> Iterator[str]:
    """Start `todochat <args>` on `port`, wait until it answers `ready_path`, stop it (by pid) afterwards."""
    process = subprocess.Popen(
        [*TODOCHAT, *args, "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"todochat {args[0]} exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + ready_path, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"todochat {args[0]} did not start within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        stop_process(process, timeout=10)
        if process.stderr:
            process.stderr.close()


@contextlib.contextmanager
def fake_gemini(*options: str) -> Iterator[str]:
    """`todochat fake-gemini` with the given options; yields its base URL."""
    with run_command(["fake-gemini", *options], free_port(), _env()) as url:
        yield url


@contextlib.contextmanager
def mcp_process(settings: Settings, port: int | None = None, **env: str) -> Iterator[str]:
    """`todochat mcp` on the same database and secret as `settings`, without Redis; yields its MCP endpoint URL.

    `env` adds environment variables (RATE_LIMIT_PER_MINUTE="5", say).
    """
    child = _env(DATABASE_URL=settings.database_url, SECRET_KEY=settings.secret_key.get_secret_value(), **env)
    with run_command(["mcp"], port or free_port(), child) as url:
        yield url + "/mcp/"


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], message: str, conversation_id: str | None = None
) -> dict[str, Any]:
    """One chat turn that must succeed; returns the reply body."""
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    r = await client.post("/api/v1/chat", json=body, headers=headers)
    assert r.status_code == 200, r.text
    reply: dict[str, Any] = r.json()
    return reply


async def tasks_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    """The user's tasks by id, read through the REST API (not through chat)."""
    r = await client.get("/api/v1/tasks", params={"limit": 200}, headers=headers)
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["items"]}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Any ASGI app under uvicorn in a background thread on a free port; yields its base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def fake_gemini_in_thread(**knobs: Any) -> Iterator[str]:
    """The fake Gemini server's app in this process, for tests that set knobs per test."""
    from app.agent.fake_gemini import FakeGeminiConfig, create_fake_gemini_app

    with serve_in_thread(create_fake_gemini_app(FakeGeminiConfig(**knobs))) as url:
        yield url


class DroppingProxy:
    """A TCP proxy that closes its first `drops` connections once a request arrives on them, without answering.

    That is what a client sees when a server closes a keep-alive connection just as the client reuses it. Later
    connections are piped to the target unchanged.
    """

    def __init__(self, target_url: str, *, drops: int) -> None:
        self.target = httpx.URL(target_url)
        self.drops = drops
        self.dropped = 0
        self.forwarded = 0
        self.url = ""

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.dropped < self.drops:
            self.dropped += 1
            await reader.read(65536)  # the request arrives; no answer goes back
            writer.close()
            return
        self.forwarded += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(self.target.host, self.target.port)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))


@contextlib.contextmanager
def dropping_proxy(target_url: str, *, drops: int) -> Iterator[DroppingProxy]:
    """A `DroppingProxy` in front of `target_url`, served from a thread of this process."""
    proxy = DroppingProxy(target_url, drops=drops)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    started = asyncio.run_coroutine_threadsafe(asyncio.start_server(proxy._handle, "127.0.0.1", 0), loop)
    server = started.result(timeout=10)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
