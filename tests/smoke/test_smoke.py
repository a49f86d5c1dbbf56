"""`todochat smoke --url`, run as the deploy workflow runs it, against a real `todochat serve` process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import Base
from app.smoke.runner import EXIT_LEFT_BEHIND, EXIT_OK, EXIT_STEP_FAILED, EXIT_UNREACHABLE, SmokeReport, StepResult
from app.smoke.steps import STEPS
from tests.support import free_port, stop_process

TODOCHAT = Path(sys.executable).with_name("todochat")
STEP_NAMES = [name for name, _ in STEPS] + ["cleanup"]
OWN_SETTINGS = {"APP_ENV", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "GEMINI_API_KEY", "MCP_SERVER_URL", "SENTRY_DSN"}


def environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
    env.update(values)
    return env


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`todochat serve` in its own process on the test database; its base URL."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("serve")
    process = subprocess.Popen(
        [str(TODOCHAT), "serve", "--port", str(port), "--no-migrate"],
        cwd=workdir,
        env=environment(
            APP_ENV="test",
            DATABASE_URL=database_url,
            SECRET_KEY="smoke-test-secret-" + "x" * 32,
            FRONTEND_DIR=str(workdir / "no-frontend"),
            LOG_LEVEL="WARNING",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"todochat serve exited: {process.stderr.read() if process.stderr else ''}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "todochat serve did not answer /health within 90 s"
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process)


async def row_counts(db: AsyncEngine) -> dict[str, int]:
    """Rows in every table of the schema."""
    async with db.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def smoke(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TODOCHAT), "smoke", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment(COLUMNS="200"),
    )


async def test_smoke_passes_against_todochat_serve_printing_each_step_with_its_duration(
    served: str, db: AsyncEngine
) -> None:
    before = await row_counts(db)

    result = smoke("--url", served)

    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [re.match(r"\s+(ok|FAIL|skip)\s+([\w-]+)\s+(\d+) ms\s+\S", line) for line in lines[1:-1]]
    assert all(steps), lines
    assert [(m.group(1), m.group(2)) for m in steps if m] == [("ok", name) for name in STEP_NAMES]
    assert lines[-1].startswith("smoke test passed in ")
    assert await row_counts(db) == before, "the smoke run left rows behind"


async def test_a_refused_mcp_endpoint_fails_its_step_with_exit_1_and_the_account_is_still_deleted(
    served: str, db: AsyncEngine
) -> None:
    before = await row_counts(db)

    result = smoke("--url", served, "--mcp-url", f"http://127.0.0.1:{free_port()}/mcp/", "--json")

    assert result.returncode == EXIT_STEP_FAILED, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["exit_code"] == EXIT_STEP_FAILED
    assert [s["name"] for s in report["steps"]] == STEP_NAMES
    assert all(s["seconds"] > 0 and s["detail"] for s in report["steps"])
    assert report["run_id"] in report["steps"][2]["detail"]  # the throwaway account is named after the run
    outcomes = {s["name"]: s for s in report["steps"]}
    assert outcomes["mcp-tools"]["outcome"] == "failed"
    assert "cannot connect" in outcomes["mcp-tools"]["detail"]
    assert outcomes["read-back"]["outcome"] == "passed"  # tasks existed when it failed
    assert outcomes["cleanup"]["outcome"] == "passed"
    assert await row_counts(db) == before


async def test_an_mcp_endpoint_that_answers_an_error_status_is_named_in_the_failure(
    served: str, db: AsyncEngine
) -> None:
    before = await row_counts(db)

    result = smoke("--url", served, "--mcp-url", f"{served}/not-mcp/")

    assert result.returncode == EXIT_STEP_FAILED
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  FAIL")]
    assert "mcp-tools" in line
    assert f"{served}/not-mcp/: answered 404" in line
    assert result.stdout.splitlines()[-1].startswith("smoke test FAILED at mcp-tools")
    assert await row_counts(db) == before


async def test_a_url_where_something_else_answers_fails_at_health_with_exit_1_creating_nothing(
    served: str, db: AsyncEngine
) -> None:
    before = await row_counts(db)

    result = smoke("--url", f"{served}/somewhere-else", "--json")

    assert result.returncode == EXIT_STEP_FAILED
    outcomes = [(s["name"], s["outcome"]) for s in json.loads(result.stdout)["steps"]]
    assert outcomes[0] == ("health", "failed")
    assert {outcome for _, outcome in outcomes[1:-1]} == {"skipped"}
    assert outcomes[-1] == ("cleanup", "passed")
    assert await row_counts(db) == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}", "http://nowhere.invalid"], ids=["refused", "unknown-host"])
def test_an_unreachable_url_says_so_in_one_line_and_exits_69(url: str) -> None:
    target = url.format(port=free_port())

    result = smoke("--url", target, "--timeout", "5")

    assert result.returncode == EXIT_UNREACHABLE
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"todochat smoke: cannot reach {target}: cannot connect")


def test_a_url_without_a_scheme_is_a_usage_error() -> None:
    result = smoke("--url", "todochat.example.com")

    assert result.returncode == 2
    assert "is not an http:// or https:// URL" in result.stderr
    assert "Traceback" not in result.stderr


def _report(*outcomes: tuple[str, str], unreachable: bool = False) -> SmokeReport:
    steps = tuple(StepResult(name, outcome, 0.01, "") for name, outcome in outcomes)  # type: ignore[arg-type]
    return SmokeReport("http://x", "run", steps, unreachable, 0.1)


@pytest.mark.parametrize(
    ("outcomes", "unreachable", "code"),
    [
        pytest.param([("health", "passed"), ("cleanup", "passed")], False, EXIT_OK, id="all-passed"),
        pytest.param([("health", "failed"), ("cleanup", "passed")], False, EXIT_STEP_FAILED, id="step-failed"),
        pytest.param([("health", "failed"), ("cleanup", "passed")], True, EXIT_UNREACHABLE, id="unreachable"),
        pytest.param([("sign-up", "failed"), ("cleanup", "failed")], False, EXIT_LEFT_BEHIND, id="left-behind"),
        pytest.param([("sign-up", "passed"), ("cleanup", "failed")], False, EXIT_LEFT_BEHIND, id="cleanup-only"),
    ],
)
def test_the_exit_code_puts_data_left_behind_above_a_failed_step(
    outcomes: list[tuple[str, str]], unreachable: bool, code: int
) -> None:
    assert _report(*outcomes, unreachable=unreachable).exit_code == code
