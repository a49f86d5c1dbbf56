"""What a gate starts: a scratch database, the fake Gemini, the app (`todochat serve`), and accounts to use.

Every process is started in its own session and ended by its id (process group), even when the gate fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.errors import StartError
from loadtests.profiles import LatencyModel
from loadtests.runconfig import Account

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 90.0
PASSWORD = "load-test-password-1"  # noqa: S105 - throwaway accounts in a scratch database
TASKS_PER_ACCOUNT = 10
# Rate limits exist to stop one person hogging an instance; a load test is many people sharing a few accounts.
RAISED_LIMITS = {
    "RATE_LIMIT_PER_MINUTE": "100000000",
    "RATE_LIMIT_LOGIN_PER_MINUTE": "1000000",
    "RATE_LIMIT_CHAT_PER_MINUTE": "1000000",
}

PRIORITIES = ("low", "medium", "high", "urgent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def todochat_command() -> list[str]:
    """The `todochat` entry point of this interpreter's environment."""
    script = Path(sys.executable).parent / "todochat"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


@dataclass
class Service:
    """A child process (and its process group) with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Service:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own entry points, no shell
                argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return cls(name, process, log_path)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the group (uvicorn's workers included), SIGKILL after `timeout` seconds."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def request(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30.0) -> Any:
    """One JSON request; returns the decoded body. Raises urllib.error.URLError / HTTPError."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) URLs we build
    with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 - as above
        payload = response.read()
    return json.loads(payload) if payload else None


def wait_ready(url: str, service: Service | None, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Poll `url` until it answers 200, the service dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if service is not None and not service.alive():
            raise StartError(f"{service.name} exited with {service.process.returncode}:\n{service.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:  # noqa: S310 - local URL we built
                if response.status == 200:
                    return
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code}"
        except OSError as err:
            last = str(err)
        time.sleep(0.3)
    where = f" (log: {service.log_path})" if service else ""
    raise StartError(f"{url} was not ready within {timeout:g} s: {last}{where}")


def _sign_up(base: str, email: str, tasks: int) -> Account:
    request("POST", f"{base}/api/v1/auth/register", {"email": email, "password": PASSWORD})
    token = request("POST", f"{base}/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]
    for i in range(tasks):
        seeded = {"title": f"Seeded task {i + 1}", "priority": PRIORITIES[i % len(PRIORITIES)]}
        request("POST", f"{base}/api/v1/tasks", seeded, token)
    return Account(email, PASSWORD)


def seed_accounts(base: str, count: int, tasks_each: int = TASKS_PER_ACCOUNT) -> list[Account]:
    """Register `count` accounts with `tasks_each` tasks, so lists read real rows. Raises StartError."""
    run = uuid.uuid4().hex[:8]
    emails = [f"load-{run}-{i}@example.com" for i in range(count)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda e: _sign_up(base, e, tasks_each), emails))
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:300]
        raise StartError(f"could not create load-test accounts at {base}: HTTP {err.code} {detail}") from err
    except OSError as err:
        raise StartError(f"could not create load-test accounts at {base}: {err}") from err


@dataclass
class StackOptions:
    """How to run the app: its database, worker processes, Gemini retry attempts and log level."""

    database_url: str | None = None
    workers: int = 1
    gemini_attempts: int | None = None
    gemini_error_rate: float = 0.0
    log_level: str = "INFO"
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    """The app and its fake Gemini, started here; or a host given on the command line (nothing started)."""

    url: str
    directory: Path
    options: StackOptions
    app: Service | None = None
    gemini: Service | None = None
    gemini_port: int = 0
    latency: LatencyModel | None = None

    @property
    def managed(self) -> bool:
        return self.app is not None

    def start_gemini(self, latency: LatencyModel) -> None:
        """(Re)start the fake Gemini with a latency model; the app keeps its base URL (same port)."""
        if self.gemini is not None and self.latency == latency:
            return
        if self.gemini is not None:
            self.gemini.stop()
        argv = [
            *todochat_command(),
            "fake-gemini",
            "--port",
            str(self.gemini_port),
            "--ttft-ms",
            str(latency.ttft_ms),
            "--token-delay-ms",
            str(latency.token_delay_ms),
            "--jitter-ms",
            str(latency.jitter_ms),
            "--error-rate",
            str(self.options.gemini_error_rate),
            "--error-codes",
            "500,503",
        ]
        self.gemini = Service.start("fake Gemini", argv, dict(os.environ), self.directory / "logs" / "fake-gemini.log")
        wait_ready(f"http://127.0.0.1:{self.gemini_port}/health", self.gemini)
        self.latency = latency

    def stop(self) -> None:
        for service in (self.app, self.gemini):
            if service is not None:
                service.stop()


def _app_env(options: StackOptions, database_url: str, gemini_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "APP_ENV": "development",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "GEMINI_API_KEY": "fake",
            "GEMINI_BASE_URL": f"http://127.0.0.1:{gemini_port}",
            "LOG_LEVEL": options.log_level,
            "RATE_LIMIT_ENABLED": "true",
            **RAISED_LIMITS,
        }
    )
    env.pop("MCP_SERVER_URL", None)  # the MCP server is mounted in the app under test
    if options.gemini_attempts is not None:
        env["GEMINI_MAX_ATTEMPTS"] = str(options.gemini_attempts)
    env.update(options.env)
    return env


@contextlib.contextmanager
def running_stack(directory: Path, options: StackOptions, latency: LatencyModel, host: str | None) -> Iterator[Stack]:
    """The services for a gate run, stopped on the way out. Raises StartError."""
    if host is not None:
        wait_ready(host.rstrip("/") + "/health", None, timeout=15)
        yield Stack(host.rstrip("/"), directory, options)
        return
    database_url = options.database_url
    if database_url is None:
        db_dir = directory / "db"
        shutil.rmtree(db_dir, ignore_errors=True)
        db_dir.mkdir(parents=True)
        database_url = f"sqlite+aiosqlite:///{db_dir / 'loadtest.db'}"
    port = free_port()
    stack = Stack(f"http://127.0.0.1:{port}", directory, options, gemini_port=free_port())
    try:
        stack.start_gemini(latency)
        argv = [*todochat_command(), "serve", "--port", str(port), "--workers", str(options.workers)]
        env = _app_env(options, database_url, stack.gemini_port)
        stack.app = Service.start("todochat serve", argv, env, directory / "logs" / "app.log")
        wait_ready(f"{stack.url}/health/ready", stack.app)
        yield stack
    finally:
        stack.stop()
