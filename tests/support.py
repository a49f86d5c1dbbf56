"""Test helpers that are not fixtures: settings, live uvicorn servers, forged tokens, scratch databases, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
import jwt
import pytest
import uvicorn
from alembic import command
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.core.config import Settings, normalize_database_url
from app.main import create_app

IN_CI = os.environ.get("CI") == "true"
TOOL_PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "test",
        "database_url": database_url,
        "secret_key": "test-secret-key-" + "x" * 32,
        "frontend_dir": str(Path(__file__).parent / "no-frontend"),
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def unavailable(reason: str) -> NoReturn:
    """A prerequisite is missing: in CI that fails the test; elsewhere it skips it with the reason."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """The tool's path, or `unavailable` with the Debian package that provides it."""
    path = shutil.which(name)
    if path:
        return path
    package = TOOL_PACKAGES.get(name, name)
    unavailable(f"{name} is not installed (Debian package {package}; `make system-tools` installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def migrate(url: str, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["database_url"] = url  # type: ignore[attr-defined]
    config.attributes["configure_logging"] = False  # type: ignore[attr-defined]
    command.upgrade(config, revision)  # type: ignore[arg-type]


def downgrade(url: str, revision: str = "base") -> None:
    config = alembic_config()
    config.attributes["database_url"] = url  # type: ignore[attr-defined]
    config.attributes["configure_logging"] = False  # type: ignore[attr-defined]
    command.downgrade(config, revision)  # type: ignore[arg-type]


def _asyncpg_dsn(url: str) -> str:
    return (
        make_url(normalize_database_url(url))
        .set(drivername="postgresql", query={})
        .render_as_string(hide_password=False)
    )


async def create_scratch_database(server_url: str) -> str:
    name = f"todochat_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(normalize_database_url(server_url)).set(database=name).render_as_string(hide_password=False)


async def drop_scratch_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_database(server_url: str, *, migrated: bool = True) -> Iterator[str]:
    """A new database on the PostgreSQL server at `server_url` (schema migrated unless told not), dropped after."""
    url = asyncio.run(create_scratch_database(server_url))
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        asyncio.run(drop_scratch_database(server_url, url))


@dataclass
class LiveServer:
    """uvicorn serving the app in a background thread, as in production but on a free local port."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    @contextlib.contextmanager
    def start(cls, settings: Settings, port: int | None = None) -> Iterator[LiveServer]:
        port = port or free_port()
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        live = cls(server=server, thread=thread, port=port)
        try:
            yield live
        finally:
            server.should_exit = True
            thread.join(timeout=15)


@contextlib.contextmanager
def live(database_url: str, **overrides: object) -> Iterator[LiveServer]:
    """A live server of its own, with rate limits on unless `overrides` say otherwise."""
    overrides.setdefault("rate_limit_enabled", True)
    with LiveServer.start(make_settings(database_url, **overrides)) as server:
        yield server


@contextlib.asynccontextmanager
async def client_for(server: LiveServer, **kwargs: object) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, **kwargs) as c:  # type: ignore[arg-type]
        yield c


def fake_ip() -> str:
    """A documentation-range address, unique per call, sent as X-Forwarded-For (uvicorn trusts 127.0.0.1)."""
    n = uuid.uuid4().int
    return f"198.51.{n % 250}.{(n >> 8) % 250 + 1}"


def forged_token(settings: Settings, *, user_id: uuid.UUID, key: str, algorithm: str = "HS256") -> str:
    """An access token for `user_id` that looks right but is signed with `key` instead of the service's secret."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": str(uuid.uuid4()),
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex[:16],
    }
    return jwt.encode(claims, key, algorithm=algorithm)


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Ask a child process to stop, and kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
