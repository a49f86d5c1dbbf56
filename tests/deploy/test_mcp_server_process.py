"""The standalone MCP server, started as the manifests start it, admits the API by the host name they give it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.core.config import Settings
from tests.conftest import signup
from tests.deploy.conftest import BIN, Manifest, container, find
from tests.deploy.test_compose_stack import compose
from tests.support import free_port, stop_process

STARTUP_SECONDS = 30


@pytest.fixture(scope="module")
def mcp_urls(rendered: dict[str, list[Manifest]]) -> list[str]:
    """MCP_SERVER_URL as Compose and each overlay configure it (the overlays agree)."""
    stack = json.loads(compose("config", "--format", "json").stdout)
    urls = [stack["services"]["mcp"]["environment"]["MCP_SERVER_URL"]]
    for manifests in rendered.values():
        urls.append(next(m for m in manifests if m["kind"] == "ConfigMap")["data"]["MCP_SERVER_URL"])
    return urls


@contextmanager
def running_mcp(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """Start the container's command on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    assert args[0] == "todochat"
    argv = [str(BIN / "todochat"), *args[1:]]
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--host") + 1] = "127.0.0.1"
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the MCP server exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the MCP server did not answer /health within {STARTUP_SECONDS}s:\n{log.read_text()}")
        yield base
    finally:
        stop_process(process, timeout=10)


# The database does not matter here (other suites cover both); each MCP server start costs seconds.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_mcp_server_admits_the_api_by_the_host_name_the_deployment_gives_it(
    production: list[Manifest], mcp_urls: list[str], settings: Settings, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    authorization = await signup(client)
    config = next(m for m in production if m["kind"] == "ConfigMap")["data"]
    args = container(find(production, "Deployment", "todochat-mcp"))["args"]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        **{k: v for k, v in config.items() if not k.startswith("OTEL_")},
        "APP_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "OTEL_SDK_DISABLED": "true",
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for url in sorted(set(mcp_urls)):
        env["MCP_SERVER_URL"] = url
        address = urlsplit(url)
        with running_mcp(args, env, tmp_path / "mcp.log") as base:
            headers = {**authorization, "Accept": "application/json, text/event-stream"}
            answer = httpx.post(f"{base}{address.path}", json=ping, headers={**headers, "Host": address.netloc})
            assert answer.status_code == 200, f"{address.netloc}: {answer.status_code} {answer.text[:200]}"
            stranger = httpx.post(f"{base}{address.path}", json=ping, headers={**headers, "Host": "evil.example:8001"})
            assert stranger.status_code == 421, "a host name the deployment does not use must be refused"
    assert len({urlsplit(url).netloc for url in mcp_urls}) == 2, "Compose and Kubernetes name the MCP server"
