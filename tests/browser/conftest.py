"""Browser fixtures: the built web UI, the server as `make run` starts it, and headless Chromium.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright through its executable path: nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, async_playwright

from tests.support import free_port, stop_process, unavailable

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
OUT = FRONTEND / "out"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SOURCES = ["app", "components", "lib", "package-lock.json", "next.config.ts", "tsconfig.json"]


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = FRONTEND / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    """frontend/out, built the way `make run` builds it when it is missing or older than its sources."""
    index = OUT / "index.html"
    if index.is_file() and index.stat().st_mtime >= _newest_source_mtime():
        return OUT
    if shutil.which("npm") is None:
        unavailable("npm is not installed, so the web UI cannot be built")
    result = subprocess.run(
        ["make", "--no-print-directory", "frontend"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0 or not index.is_file():
        pytest.fail(f"building the web UI failed:\n{result.stdout}\n{result.stderr}")
    return OUT


@dataclass(frozen=True)
class RunningApp:
    url: str
    database: Path


# Every test signs in from 127.0.0.1, so the per-address sign-in quota is raised for the suite; the chat quota
# is lowered so one test can reach it with a few messages. Everything else is `make run`'s default.
TEST_QUOTAS = {"RATE_LIMIT_LOGIN_PER_MINUTE": "100", "RATE_LIMIT_CHAT_PER_MINUTE": "4"}


@contextlib.contextmanager
def serve(frontend: Path, workdir: Path, port: int | None = None, **settings: str) -> Iterator[RunningApp]:
    """`todochat serve` in its own process, as `make run` starts it, on an embedded SQLite database.

    The same `workdir` and `port` a second time is the same server restarted, with its data kept.
    """
    database = workdir / "todochat.db"
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "MCP_", "REDIS_", "SENTRY_"))}
    env.update(DATABASE_URL=f"sqlite:///{database}", FRONTEND_DIR=str(frontend), LOG_LEVEL="WARNING")
    env.update(TEST_QUOTAS)
    env.update(settings)
    todochat = Path(sys.executable).parent / "todochat"
    with (workdir / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [str(todochat), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, deadline=time.monotonic() + 90)
            yield RunningApp(url=url, database=database)
        finally:
            stop_process(proc, timeout=15)


@pytest.fixture(scope="session")
def running_app(built_frontend: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The whole product with the offline model, as `make run` serves it."""
    with serve(built_frontend, tmp_path_factory.mktemp("browser")) as app:
        yield app


@pytest.fixture
def app_without_model(built_frontend: Path, tmp_path: Path) -> Iterator[RunningApp]:
    """The product configured for Gemini at an address where nothing answers: the model is unavailable."""
    with serve(
        built_frontend,
        tmp_path,
        GEMINI_API_KEY="browser-test-key",
        GEMINI_BASE_URL=f"http://127.0.0.1:{free_port()}",
        GEMINI_MAX_ATTEMPTS="1",
    ) as app:
        yield app


def _wait_ready(url: str, proc: subprocess.Popen[bytes], *, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"todochat serve exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError("todochat serve was not ready within 90 s")


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A fresh headless Chromium profile, desktop-sized, in Berlin's time zone."""
    if not Path(CHROMIUM).is_file():
        unavailable(f"Chromium is not installed at {CHROMIUM} (make system-tools installs it)")
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            # Not UTC, so dates the page shows prove they are worked out in the person's own zone.
            timezone_id="Europe/Berlin",
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            await context.close()
