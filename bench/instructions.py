"""What telemetry costs, counted in instructions: GET /api/v1/tasks driven in-process under callgrind.

The throughput benchmark (bench.telemetry_bench) measures what a client sees, but on a shared machine its
figures move by several percent from run to run. This one counts the instructions the application executes per
request, which repeat to about 1% whatever else the machine does: each mode is a process running the real
application (create_app, its lifespan, the real database, the telemetry of that mode, an OTLP sink in the
parent) under valgrind's callgrind, driven through its ASGI interface by 16 concurrent callers. Instrumentation is
switched on only around the measured requests (after start-up, seeding and a warm-up), and the span queue is
flushed inside the measurement, so encoding and posting the spans are counted too.

What it leaves out: uvicorn's HTTP parsing (the same in every mode), time in the kernel, and the cost of cache
misses, which instructions do not show (spans queued until their batch is sent cost more than their count says).

Run: make bench-telemetry-instructions
  BENCH_REQUESTS (300), BENCH_DATABASES ("sqlite,postgresql"); needs valgrind (`make system-tools`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bench.servers import ROOT, database, sink, stop_on_sigterm
from bench.telemetry_bench import FAST, OFF, PATH, TASKS, Options, backends_from_env, servers

CALLERS = 16
WARM_UP = 300
T = TypeVar("T")
PASSWORD = "correct horse battery"  # noqa: S105 - a scratch account in a scratch database


async def _call(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Any:
    """One request through the application's ASGI interface; returns (status, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    received = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def seeded(app: Any) -> list[tuple[bytes, bytes]]:
    """Register, log in and add TASKS tasks through the application; returns the Authorization header."""
    json_body = [(b"content-type", b"application/json")]
    account = json.dumps({"email": "bench@example.com", "password": PASSWORD}).encode()
    await _call(app, "POST", "/api/v1/auth/register", json_body, account)
    status, body = await _call(app, "POST", "/api/v1/auth/login", json_body, account)
    if status != 200:
        raise RuntimeError(f"login answered {status}: {body[:200]!r}")
    auth = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
    for i in range(TASKS):
        await _call(app, "POST", "/api/v1/tasks", json_body + auth, json.dumps({"title": f"task {i}"}).encode())
    return auth


async def serve(app: Any, auth: list[tuple[bytes, bytes]], count: int) -> None:
    """`count` GETs of PATH from CALLERS concurrent callers."""
    left = iter(range(count))

    async def caller() -> None:
        for _ in left:
            status, body = await _call(app, "GET", PATH, auth)
            if status != 200:
                raise RuntimeError(f"GET {PATH} answered {status}: {body[:200]!r}")

    await asyncio.gather(*(caller() for _ in range(CALLERS)))


def flush() -> None:
    """Send the spans queued so far (their encoding and posting then count where they happen)."""
    from telemetry import tracing

    provider = tracing.provider()
    if provider is not None:
        provider.force_flush()


async def _drive(requests: int, signals: Path) -> None:
    """Serve `requests` GETs while the parent has callgrind's instrumentation on (see the module docstring)."""
    from app.main import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        auth = await seeded(app)
        await serve(app, auth, WARM_UP)
        flush()
        await _handshake(signals, "ready", "go")
        await serve(app, auth, requests)
        flush()
        await _handshake(signals, "done", "stop")


async def _handshake(signals: Path, mine: str, theirs: str) -> None:
    (signals / mine).write_text(str(os.getpid()))
    deadline = time.monotonic() + 600
    while not (signals / theirs).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {theirs!r} from the benchmark")
        await asyncio.sleep(0.05)


def _wait_for(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 900  # start-up under valgrind takes a minute or two
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError(f"the measured process exited early:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never came")
        time.sleep(0.2)


def measure(env: dict[str, str], requests: int) -> int:
    """Instructions per request of one mode (its environment), counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        signals, out, log = Path(tmp), Path(tmp) / "callgrind.out", Path(tmp) / "log"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, "-m", "bench.instructions", "--drive", str(requests), str(signals),
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - valgrind and our own interpreter
                command, cwd=ROOT, env={**env, "PYTHONHASHSEED": "0"}, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            _wait_for(signals / "ready", process, log)
            _instrumentation(process.pid, "on")
            (signals / "go").touch()
            _wait_for(signals / "done", process, log)
            _instrumentation(process.pid, "off")
            (signals / "stop").touch()
            if process.wait(timeout=300) != 0:
                raise RuntimeError(f"the measured process failed:\n{log.read_text()[-3000:]}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        return _instructions(out) // requests


def _instrumentation(pid: int, state: str) -> None:
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([control, "-i", state, str(pid)], check=True, capture_output=True)  # noqa: S603 - fixed arguments


def _instructions(out: Path) -> int:
    """The total instruction count of a callgrind output file (its `totals:` line; `summary:` is 0 when the
    instrumentation was off at start)."""
    text = out.read_text()
    match = re.search(r"^totals: (\d+)", text, re.MULTILINE) or re.search(r"^summary: (\d+)", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"no instruction total in {out}")
    return int(match.group(1))


def off_and_on(measure: Callable[[dict[str, str], int], T], requests: int) -> Iterator[tuple[str, T, T]]:
    """On each database, `measure(env, requests)` with telemetry off and then on, each on a fresh database:
    (database, off, on). The OTLP sink runs meanwhile."""
    options = Options(rounds=1, seconds=0, connections=CALLERS, pin=False, sampled=False, stock=False, collector=False)
    with sink() as sink_port:
        modes = {server.name: server.env for server in servers(sink_port, options)}
        for backend in backends_from_env():
            found = {}
            for mode in (OFF, FAST):
                with database(backend) as url:
                    # Only the size-triggered batch is sent while measuring, as at the throughput bench's rate.
                    env = {**modes[mode], "DATABASE_URL": url, "OTEL_BSP_SCHEDULE_DELAY": "600000"}
                    found[mode] = measure(env, requests)
            yield backend, found[OFF], found[FAST]


def main() -> int:
    """Count instructions per request for telemetry off and on, on each database, and print the ratio."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed (Debian package valgrind; `make system-tools` installs it)")
        return 1
    stop_on_sigterm()
    requests = int(os.environ.get("BENCH_REQUESTS", "300"))
    started = time.monotonic()
    for backend, off, on in off_and_on(measure, requests):
        print(
            f"GET {PATH} ({TASKS} tasks) on {backend}, {requests} requests from {CALLERS} callers, in-process: "
            f"off {off:,} instructions a request, on {on:,}: telemetry adds {100 * (on / off - 1):.1f}%",
            flush=True,
        )
    print(f"(took {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the request log lines, for the process's lifetime
        asyncio.run(_drive(int(sys.argv[2]), Path(sys.argv[3])))
        raise SystemExit(0)
    raise SystemExit(main())
