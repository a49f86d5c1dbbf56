"""What the telemetry benchmark runs against: scratch databases, `todochat serve` processes, a local sink."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port, migrate, scratch_database

ROOT = Path(__file__).resolve().parent.parent
TODOCHAT = str(Path(sys.executable).parent / "todochat")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class _Sink(BaseHTTPRequestHandler):
    """Swallows OTLP exports and Sentry envelopes: the cost measured is the sender's, not a collector's.

    HTTP/1.1 with keep-alive, as an OpenTelemetry Collector serves OTLP: the exporter reuses its connection
    instead of resolving and connecting for every batch.
    """

    protocol_version = "HTTP/1.1"
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
    """A local HTTP endpoint that accepts anything POSTed to it; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def sink_received() -> int:
    """How many exports and envelopes the sink has taken so far."""
    return _Sink.received


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, migrated database: a scratch database on TEST_DATABASE_URL's server, or an SQLite file."""
    if backend == "postgresql":
        server_url = postgres_server_url()
        if server_url is None:
            raise RuntimeError("PostgreSQL needs TEST_DATABASE_URL (or DATABASE_URL) naming a server")
        with scratch_database(server_url) as url:
            yield url
        return
    from app.core.config import normalize_database_url

    with tempfile.TemporaryDirectory() as tmp:
        url = normalize_database_url(f"sqlite:///{tmp}/bench.db")
        migrate(url)
        yield url


def postgres_server_url() -> str | None:
    """The PostgreSQL server to make scratch databases on, if one is configured."""
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("postgres"):
            return url
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (its threads included)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces and parentheses; the fields after its last ")" do not.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def stop_on_sigterm() -> None:
    """Let SIGTERM unwind the benchmark as Ctrl-C does, so the servers and scratch databases it started are
    stopped and dropped (by default SIGTERM ends the process at once and leaves them running)."""

    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, unwind)


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """The command run on one CPU with taskset, when asked and available."""
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None:
        return command
    return [taskset, "-c", str(cpu), *command]


@dataclass
class Server:
    """One `todochat serve` process (a single worker), on its own port."""

    name: str
    env: dict[str, str]
    cpu: int | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} server is not running")
        return self.process.pid

    def start(self, log: Path) -> None:
        """Start serving (taskset execs the server, so the pid is the server's) and wait until it answers."""
        serve = ["serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port)]
        command = [TODOCHAT, *serve]
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                pinned(command, self.cpu),
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
        """Stop the server (by its pid), waiting for it to exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
