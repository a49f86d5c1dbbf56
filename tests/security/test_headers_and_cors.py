"""Security headers, the UI's Content-Security-Policy in a real browser, and the CORS allowlist."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import LiveServer, client_for, live

ALLOWED = "https://app.example.com"


async def test_every_answer_carries_the_security_headers(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        for path in ("/health", "/api/v1/tasks", "/openapi.json"):
            r = await client.get(path)
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["x-frame-options"] == "DENY", path
            assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
            assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'", path
            assert "strict-transport-security" not in r.headers, "plain HTTP gets no HSTS"


async def test_hsts_for_one_year_is_sent_when_the_request_came_over_tls(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        r = await client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_the_api_docs_page_gets_a_policy_that_lets_swagger_ui_load(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        r = await client.get("/docs")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy


async def test_a_disallowed_origin_gets_no_cors_permission(sqlite_url: str) -> None:
    with live(sqlite_url, rate_limit_enabled=False, cors_origins=[ALLOWED]) as server:
        async with client_for(server) as client:
            evil = await client.get("/api/v1/tasks", headers={"Origin": "https://evil.example.net"})
            assert "access-control-allow-origin" not in evil.headers
            preflight = await client.options(
                "/api/v1/tasks",
                headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"},
            )
            assert preflight.status_code == 400
            assert "access-control-allow-origin" not in preflight.headers

            good = await client.get("/api/v1/tasks", headers={"Origin": ALLOWED})
            assert good.headers["access-control-allow-origin"] == ALLOWED
            assert good.headers["access-control-allow-credentials"] == "true"
            assert "ratelimit-remaining" in good.headers["access-control-expose-headers"].lower()
            preflight = await client.options(
                "/api/v1/chat",
                headers={
                    "Origin": ALLOWED,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == ALLOWED


async def test_no_origin_is_allowed_when_cors_origins_is_unset(plain: LiveServer) -> None:
    async with client_for(plain) as client:
        r = await client.get("/health", headers={"Origin": "http://localhost:3000"})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.browser
def test_the_browser_runs_the_built_pages_inline_scripts_and_blocks_injected_ones(
    sqlite_url: str, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is needed (make system-tools installs it)"
    page = tmp_path / "index.html"
    built = "<script>document.body.insertAdjacentHTML('beforeend', '<p>built ' + 'script ran</p>')</script>"
    page.write_text(f"<!doctype html><html><body><main>chat</main>{built}</body></html>")
    with live(sqlite_url, rate_limit_enabled=False, frontend_dir=str(tmp_path)) as server:
        # Written after start-up, as an attacker's injection would be: its hash is not in the policy.
        injected = "<script>document.body.insertAdjacentHTML('beforeend', '<p>injected ' + 'script ran</p>')</script>"
        page.write_text(f"<!doctype html><html><body><main>chat</main>{built}{injected}</body></html>")
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=3000",
                "--dump-dom",
                f"{server.url}/",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert "built script ran" in result.stdout, result.stderr[-2000:]
    assert "injected script ran" not in result.stdout
