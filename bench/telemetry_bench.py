"""What telemetry costs: GET /api/v1/tasks served with telemetry fully on and fully off, side by side.

Both servers are `todochat serve` subprocesses on the same database (PostgreSQL when TEST_DATABASE_URL or
DATABASE_URL names one, else SQLite). "On": 100% sampling, OTLP export to a local sink, metrics, Sentry with a
local DSN. "Off": OTEL_SDK_DISABLED=true, METRICS_ENABLED=false, no Sentry. Logging is the same in both (one
canonical JSON line per request). Load comes from wrk (or a small httpx load generator when wrk is missing)
in its own process; rounds alternate on/off and off/on so drifting machine load hits both alike.

Run: make bench-telemetry   (BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS tune it)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TODOCHAT = str(Path(sys.executable).parent / "todochat")
SECRET = "bench-secret-key-" + "z" * 32
PATH = "/api/v1/tasks"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Sink(BaseHTTPRequestHandler):
    """Swallows OTLP exports and Sentry envelopes: the cost measured is the sender's, not a collector's."""

    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: Any) -> None:
        return


@contextlib.contextmanager
def sink() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A fresh, migrated database: a scratch PostgreSQL database, or an SQLite file."""
    sys.path.insert(0, str(ROOT))
    from app.core.config import normalize_database_url

    server_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if server_url.startswith("postgres"):
        import asyncpg
        from sqlalchemy.engine import make_url

        base = normalize_database_url(server_url)
        dsn = make_url(base).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        name = f"todochat_bench_{uuid.uuid4().hex[:8]}"

        async def execute(sql: str) -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        try:
            _migrate(url)
            yield url
        finally:
            asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = normalize_database_url(f"sqlite:///{tmp}/bench.db")
            _migrate(url)
            yield url


def _migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([TODOCHAT, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)  # noqa: S603


@dataclass
class Server:
    name: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: Path) -> None:
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                [TODOCHAT, "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class Round:
    requests_per_second: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"cannot read wrk latency {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def load_wrk(url: str, token: str, seconds: int, connections: int) -> Round:
    wrk = shutil.which("wrk") or "wrk"
    result = subprocess.run(  # noqa: S603 - wrk with fixed arguments
        [
            wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
            "-H", f"Authorization: Bearer {token}", url + PATH,
        ],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Round(rps, p99, int(errors.group(1)) if errors else 0)


def load_httpx(url: str, token: str, seconds: int, connections: int) -> Round:
    """Fallback load generator, run in its own process so it does not share the servers' interpreter."""
    code = (
        "import asyncio, sys, time, httpx, json\n"
        "url, token, seconds, conns = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])\n"
        "lat, errors = [], 0\n"
        "async def worker(c, end):\n"
        "    global errors\n"
        "    while time.monotonic() < end:\n"
        "        t = time.perf_counter(); r = await c.get(url, headers={'Authorization': 'Bearer ' + token})\n"
        "        lat.append(time.perf_counter() - t); errors += r.status_code != 200\n"
        "async def main():\n"
        "    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=conns)) as c:\n"
        "        end = time.monotonic() + seconds\n"
        "        await asyncio.gather(*(worker(c, end) for _ in range(conns)))\n"
        "asyncio.run(main()); lat.sort()\n"
        "print(json.dumps([len(lat) / seconds, lat[int(len(lat) * 0.99) - 1] * 1000, errors]))\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code, url + PATH, token, str(seconds), str(connections)],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    import json

    rps, p99, errors = json.loads(out)
    return Round(rps, p99, errors)


def seed(url: str) -> str:
    """A user with 20 tasks; returns its access token."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}).raise_for_status()
        login = c.post("/api/v1/auth/login", json={"email": email, "password": "correct horse battery"})
        token: str = login.raise_for_status().json()["access_token"]
        for i in range(20):
            c.post(
                "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, json={"title": f"task {i}"}
            ).raise_for_status()
    return token


def main() -> int:
    rounds = int(os.environ.get("BENCH_ROUNDS", "4"))
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    load = load_wrk if shutil.which("wrk") else load_httpx
    common = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_", "PROMETHEUS_", "METRICS_"))}
    common.update({"APP_ENV": "development", "SECRET_KEY": SECRET, "LOG_LEVEL": "INFO", "RATE_LIMIT_ENABLED": "false"})
    with sink() as sink_port, database() as db_url, tempfile.TemporaryDirectory() as logs:
        on = Server(
            "on",
            {
                **common,
                "DATABASE_URL": db_url,
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}",
                "OTEL_TRACES_SAMPLER": "always_on",
                "METRICS_ENABLED": "true",
                "SENTRY_DSN": f"http://publickey@127.0.0.1:{sink_port}/1",
            },
        )
        off = Server("off", {**common, "DATABASE_URL": db_url, "OTEL_SDK_DISABLED": "true", "METRICS_ENABLED": "false"})
        try:
            on.start(Path(logs) / "on.log")
            off.start(Path(logs) / "off.log")
            token = seed(on.url)
            for server in (on, off):  # warm up: connection pools, caches, JIT-free but lazy imports
                load(server.url, token, 2, connections)
            results: dict[str, list[Round]] = {"on": [], "off": []}
            for i in range(rounds):
                order = (on, off) if i % 2 == 0 else (off, on)
                for server in order:
                    results[server.name].append(load(server.url, token, seconds, connections))
                    r = results[server.name][-1]
                    print(f"round {i + 1} {server.name:>3}: {r.requests_per_second:8.1f} req/s  p99 {r.p99_ms:7.2f} ms")
        finally:
            on.stop()
            off.stop()
    rps_on = statistics.mean(r.requests_per_second for r in results["on"])
    rps_off = statistics.mean(r.requests_per_second for r in results["off"])
    p99_on = statistics.median(r.p99_ms for r in results["on"])
    p99_off = statistics.median(r.p99_ms for r in results["off"])
    errors = sum(r.errors for rs in results.values() for r in rs)
    backend = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    print()
    print(f"GET {PATH} on {backend}, {connections} connections, {rounds} x {seconds}s per mode ({load.__name__})")
    print(f"telemetry off: {rps_off:8.1f} req/s   p99 {p99_off:7.2f} ms")
    print(f"telemetry on:  {rps_on:8.1f} req/s   p99 {p99_on:7.2f} ms")
    print(f"throughput on/off: {rps_on / rps_off:.3f}  (cost {100 * (1 - rps_on / rps_off):.1f}%, goal <= 10%)")
    print(f"non-2xx responses: {errors}; exports and envelopes received by the sink: {_Sink.received}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
