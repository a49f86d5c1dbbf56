"""Logs of the served API carry the ids of its spans; unhandled errors reach Sentry with the trace id, no PII."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx

from app.core.config import normalize_database_url
from app.core.security import create_access_token
from tests.conftest import make_settings
from tests.support import migrate
from tests.telemetry.processes import base_env, running
from tests.telemetry.receivers import OtlpReceiver, SentryReceiver

SECRET = "telemetry-test-secret-" + "y" * 32


def _traceparent() -> tuple[str, str]:
    trace_id = uuid.uuid4().hex
    return trace_id, f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"


def test_every_request_log_line_carries_the_trace_and_request_ids_and_no_personal_data(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    url = normalize_database_url(f"sqlite:///{tmp_path / 'logs.db'}")
    migrate(url)
    env = base_env(
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp_receiver.port}",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    email = f"logs-{uuid.uuid4().hex[:8]}@example.com"
    with running(["serve", "--no-migrate"], env, tmp_path / "api.log") as api, httpx.Client(base_url=api.url) as c:
        assert c.post("/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}).is_success
        login = c.post("/api/v1/auth/login", json={"email": email, "password": "correct horse battery"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        user_id = c.get("/api/v1/auth/me", headers=headers).json()["id"]
        trace_id, traceparent = _traceparent()
        response = c.get("/api/v1/tasks", headers={**headers, "X-Request-ID": "req-logs-1", "traceparent": traceparent})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "req-logs-1"
        insane = c.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
        assert insane.headers["X-Request-ID"] != "bad id\twith spaces"
        assert len(insane.headers["X-Request-ID"]) == 32
        spans = otlp_receiver.wait_for(lambda found: any(s.trace_id == trace_id and s.kind == 2 for s in found))
    lines = api.json_lines()
    assert lines, "the server writes JSON lines when its output is not a terminal"

    request_lines = [line for line in lines if line.get("request_id") == "req-logs-1"]
    canonical = [line for line in request_lines if line["event"] == "request"]
    assert len(canonical) == 1
    line = canonical[0]
    assert line["http_route"] == "/api/v1/tasks"
    assert line["http_status"] == 200
    assert line["http_method"] == "GET"
    assert line["duration_ms"] > 0
    assert len(line["user_hash"]) == 16
    assert line["trace_id"] == trace_id
    server_spans = {s.span_id for s in spans if s.trace_id == trace_id and s.kind == 2}
    assert line["span_id"] in server_spans, "the request line names the HTTP server span"
    assert all(x["trace_id"] == trace_id for x in request_lines)

    # stdlib and uvicorn records go through the same pipeline.
    assert any(x.get("logger", "").startswith("uvicorn") for x in lines)
    output = api.output.read_text()
    assert email not in output
    assert user_id not in output


def test_an_unhandled_error_reaches_sentry_tagged_with_the_trace_id_and_without_personal_data(
    tmp_path: Path, sentry_receiver: SentryReceiver
) -> None:
    # A database nobody migrated: listing tasks fails with an error no handler expects.
    url = normalize_database_url(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    env = base_env(DATABASE_URL=url, SECRET_KEY=SECRET, SENTRY_DSN=sentry_receiver.dsn())
    user_id = uuid.uuid4()
    token = create_access_token(make_settings(url, secret_key=SECRET), user_id=user_id, session_id=uuid.uuid4())
    with running(["serve", "--no-migrate"], env, tmp_path / "api.log") as api:
        trace_id, traceparent = _traceparent()
        response = httpx.get(
            f"{api.url}/api/v1/tasks",
            headers={"Authorization": f"Bearer {token}", "traceparent": traceparent, "Cookie": "session=secret"},
        )
        assert response.status_code == 500
        request_id = response.json()["error"]["request_id"]
        assert response.headers["X-Request-ID"] == request_id
        events = sentry_receiver.wait_for_event()
    assert events, "Sentry received no event"
    event = events[0]
    assert event["tags"]["trace_id"] == trace_id
    assert event["tags"]["request_id"] == request_id, "the event leads to the request's log lines"
    assert event["environment"] == "test"
    assert event["release"]
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    raw = b"".join(sentry_receiver.raw).decode(errors="replace")
    assert token not in raw
    assert str(user_id) not in raw
    assert "session=secret" not in raw
    assert "user" not in event
    assert os.path.exists(api.output)
