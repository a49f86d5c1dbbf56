"""`make bench-chat`: chat turns/s beside REST task creates/s on the same server, in the same run.

Three servers share one database: one reaches its mounted MCP server in memory (the default), one does the same
but lets each turn's MCP session compile its own output-schema validators (MCP_SHARE_OUTPUT_VALIDATORS=false, the
SDK's own way), and one goes over loopback HTTP (MCP_LOCAL_TRANSPORT=http). Rounds interleave REST creates and the
three kinds of turn, so the machine's noise falls on all alike; each round prints requests/s, the server's CPU
milliseconds and the SQL statements per request (from its db_client_operation_duration_seconds counts, less the
events poller's reads). The offline model answers, so a turn costs what the product adds to a model, not the
model. Settings: BENCH_SECONDS (per round, 5), BENCH_ROUNDS (3), BENCH_CONCURRENCY (8),
BENCH_DATABASES (sqlite,postgresql; PostgreSQL needs TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import Server, cpu_seconds, database, postgres_server_url, stop_on_sigterm

SECRET = "bench-chat-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throwaway server's key
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account
REST, MEMORY, LOOPBACK = "REST create", "chat turn, MCP in memory", "chat turn, MCP over loopback"
PER_SESSION = "chat turn, in memory, SDK validators"
KINDS = (REST, MEMORY, PER_SESSION, LOOPBACK)


@dataclass(frozen=True)
class Round:
    kind: str
    requests: int
    seconds: float
    cpu_seconds: float
    errors: int
    statements: float

    @property
    def statements_each(self) -> float:
        return self.statements / max(self.requests, 1)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / max(self.requests, 1)


def _settings() -> tuple[float, int, int, list[str]]:
    seconds = float(os.environ.get("BENCH_SECONDS", "5"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    backends = [b.strip() for b in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
    if "postgresql" in backends and postgres_server_url() is None:
        print("PostgreSQL skipped: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to include it")
        backends.remove("postgresql")
    return seconds, rounds, concurrency, backends


def _token(url: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).raise_for_status()
        login = c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).raise_for_status()
        token: str = login.json()["access_token"]
        return token


async def _drive(url: str, send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]], seconds: float,
                 concurrency: int) -> tuple[int, int, float]:  # fmt: skip
    """`concurrency` callers sending back to back for `seconds`: (answered, errors, elapsed)."""
    done = errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def caller(n: int) -> None:
            nonlocal done, errors
            i = 0
            while time.monotonic() < deadline:
                response = await send(client, n * 1_000_000 + i)
                i += 1
                done += 1
                errors += response.status_code >= 400

        started = time.monotonic()
        await asyncio.gather(*(caller(n) for n in range(concurrency)))
        return done, errors, time.monotonic() - started


def measure(kind: str, server: Server, token: str, seconds: float, concurrency: int) -> Round:
    headers = {"Authorization": f"Bearer {token}"}

    async def rest(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.post("/api/v1/tasks", headers=headers, json={"title": f"buy milk {i}"})

    async def chat(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.post("/api/v1/chat", headers=headers, json={"message": f"add a task to buy milk {i}"})

    before, statements = cpu_seconds(server.pid), _statements(server.url)
    done, errors, elapsed = asyncio.run(_drive(server.url, rest if kind == REST else chat, seconds, concurrency))
    cpu = cpu_seconds(server.pid) - before
    return Round(kind, done, elapsed, cpu, errors, _statements(server.url) - statements)


def _statements(url: str) -> float:
    """Statements the server has sent so far, less the events poller's reads (they follow the clock, not load)."""
    poller = 'db_collection_name="user_events",db_operation_name="SELECT"'
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("db_client_operation_duration_seconds_count{") and poller not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ({min(values):.1f}-{max(values):.1f})"


def run_backend(backend: str, seconds: float, rounds: int, concurrency: int) -> dict[str, list[Round]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_", "GEMINI_", "MCP_"))}
    env.update(
        APP_ENV="development",
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
        RATE_LIMIT_ENABLED="false",
        REMINDER_WORKER="false",
        OTEL_TRACES_EXPORTER="none",
    )
    results: dict[str, list[Round]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as logs, contextlib.ExitStack() as stack:
        url = stack.enter_context(database(backend))
        memory = Server("memory", {**env, "DATABASE_URL": url, "MCP_LOCAL_TRANSPORT": "memory"})
        per_session = Server(
            "per-session",
            {**env, "DATABASE_URL": url, "MCP_LOCAL_TRANSPORT": "memory", "MCP_SHARE_OUTPUT_VALIDATORS": "false"},
        )
        loopback = Server("loopback", {**env, "DATABASE_URL": url, "MCP_LOCAL_TRANSPORT": "http"})
        servers = (memory, per_session, loopback)
        try:
            for server in servers:
                server.start(Path(logs) / f"{server.name}.log")
            token = _token(memory.url)  # one user: the servers share the database and the secret
            plan = [(REST, memory), (MEMORY, memory), (PER_SESSION, per_session), (LOOPBACK, loopback)]
            for kind, server in plan:  # warm up: pools, caches, lazy imports
                measure(kind, server, token, 1, concurrency)
            for i in range(rounds):
                for kind, server in plan[i % len(plan) :] + plan[: i % len(plan)]:
                    r = measure(kind, server, token, seconds, concurrency)
                    results[kind].append(r)
                    print(
                        f"  {backend} round {i + 1} {kind:<36} {r.per_second:7.1f}/s  {r.cpu_ms:6.2f} ms CPU"
                        f"  {r.statements_each:5.1f} statements each  ({r.requests} answered, {r.errors} errors)",
                        flush=True,
                    )
        finally:
            for server in servers:
                server.stop()
    return results


def main() -> None:
    """Print each round, then per database the medians side by side and the chat/REST ratios."""
    stop_on_sigterm()
    seconds, rounds, concurrency, backends = _settings()
    print(f"{concurrency} concurrent callers, {rounds} rounds of {seconds:g} s each, offline model\n")
    summary = []
    for backend in backends:
        results = run_backend(backend, seconds, rounds, concurrency)
        rest = statistics.median(r.per_second for r in results[REST])
        summary.append((backend, results, rest))
    print(f"\n  {'':<38}requests/s (range)      server CPU ms each   statements each   vs REST create")
    for backend, results, rest in summary:
        print(f"{backend}")
        for kind in KINDS:
            rates = [r.per_second for r in results[kind]]
            cpu = [r.cpu_ms for r in results[kind]]
            statements = statistics.median(r.statements_each for r in results[kind])
            ratio = statistics.median(rates) / rest if rest else float("nan")
            print(f"  {kind:<38}{_spread(rates)}   {_spread(cpu)}   {statements:15.1f}   {ratio:6.3f}")


if __name__ == "__main__":
    main()
