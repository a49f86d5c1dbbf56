"""Short gates end to end: the real app, the real google-genai client against the fake Gemini, Locust headless.

Each runs `todochat loadtest gate` as a user would (its own process: Locust's gevent patching stays out of
pytest) with about 20 judged seconds, and checks the exit code and the JSON report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadtests.evaluate import EXIT_CODES, EXIT_NOT_RUN
from tests.support import scratch_database

pytestmark = pytest.mark.slow
TODOCHAT = str(Path(sys.executable).parent / "todochat")
GATE_TIMEOUT_SECONDS = 150


def gate(output: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run a short gate; (exit code, report.json, printed table)."""
    argv = [TODOCHAT, "loadtest", "gate", "--profile", "ci", "--duration", "20", "--output", str(output), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=GATE_TIMEOUT_SECONDS, check=False)
    printed = done.stdout + done.stderr
    report_path = output / "report.json"
    assert report_path.exists(), f"the gate wrote no report (exit {done.returncode}):\n{printed}"
    return done.returncode, json.loads(report_path.read_text()), printed


@pytest.fixture
def scratch_postgres() -> Iterator[str | None]:
    """A scratch PostgreSQL database when TEST_DATABASE_URL names a server, else None (SQLite)."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield None
        return
    with scratch_database(server, migrated=False) as url:
        yield url


def test_a_healthy_build_passes_the_gate(tmp_path: Path) -> None:
    code, report, printed = gate(tmp_path, "--users", "12")
    assert code == 0, printed
    assert report["passed"] is True
    (scenario,) = report["scenarios"]
    (phase,) = scenario["phases"]
    names = {e["name"] for e in phase["endpoints"]}
    assert {"/api/v1/chat", "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/health"} <= names
    assert phase["failures"] == 0
    assert Path(scenario["artifacts"]["locust_html"]).read_text().lstrip().startswith("<!")
    assert (tmp_path / "junit.xml").exists()
    assert "PASSED: exit code 0" in printed


def test_gemini_failing_one_call_in_ten_fails_the_gate_on_the_rollback_rule(
    tmp_path: Path, scratch_postgres: str | None
) -> None:
    # One attempt per call: every injected failure reaches the person, as when Gemini stays down past retries.
    args = ["--mix", "chat", "--users", "10", "--gemini-error-rate", "0.1", "--gemini-attempts", "1"]
    if scratch_postgres:
        args += ["--database-url", scratch_postgres]
    code, report, printed = gate(tmp_path, *args)
    assert code == EXIT_CODES["rollback"], printed
    assert {"errors", "rollback"} <= set(report["breach_kinds"])
    assert "latency" not in report["breach_kinds"]


def test_gemini_answering_slowly_fails_the_gate_on_latency(tmp_path: Path) -> None:
    # Three seconds to the first token, twice a turn: the chat turn's P95 goes past its 5 s objective.
    code, report, printed = gate(tmp_path, "--mix", "chat", "--users", "10", "--gemini-ttft-ms", "3000")
    assert code == EXIT_CODES["latency"], printed
    (scenario,) = report["scenarios"]
    breached = [c for c in scenario["checks"] if not c["passed"]]
    assert {"kind": "latency", "subject": "POST /api/v1/chat p95"} in [
        {"kind": c["kind"], "subject": c["subject"]} for c in breached
    ]
    assert all(c["kind"] != "errors" for c in breached)


@pytest.mark.postgres
def test_a_scratch_database_that_does_not_exist_stops_the_gate_with_the_one_line_saying_so(tmp_path: Path) -> None:
    server = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    missing = server.rsplit("/", 1)[0] + "/todochat_no_such_database"
    code, report, printed = gate(tmp_path, "--database-url", missing)
    assert code == EXIT_NOT_RUN, printed
    assert 'database "todochat_no_such_database" does not exist' in report["error"]
    assert "Traceback" not in printed
    assert "sqlalchemy" not in printed.lower()
