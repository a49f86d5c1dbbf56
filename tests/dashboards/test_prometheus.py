"""A real Prometheus scrapes the running app under a short load; then every panel query has data.

Prometheus (127.0.0.1, a free port, temporary storage, 1 s scrapes and rule evaluations, exemplar storage on)
loads the generated rules from alerts/ and scrapes a live server while users sign up, write and list tasks
and chat with the offline model. Queries documented as needing something the load does not do (a failure,
a backup, a restore drill) may stay empty; everything else must return at least one number.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.cli import ROOT
from dashboards.board import PRESENCE_SERIES, Board
from dashboards.panels import NEEDS_REJECTION
from dashboards.promql import ENV_LABEL, ENV_VAR, INSTANCE_VAR, RATE_WINDOW, SLO_VAR
from telemetry import conventions as c
from tests.conftest import make_settings
from tests.dashboards.conftest import substitute
from tests.support import LiveServer, free_port, require_tool, stop_process

pytestmark = pytest.mark.slow

ENVIRONMENT = "test"
LOAD_SECONDS = 15.0
MAX_ROUNDS = 300
PROVOKED = {NEEDS_REJECTION}  # the load ends with a burst of failed sign-ins until one is refused
CHAT = ("add a task to renew my passport", "what's still pending?", "mark the passport one done")


@dataclass
class Scraped:
    url: str
    target: str
    load_started: float
    load_ended: float

    def get(self, path: str, params: dict[str, str] | list[tuple[str, str]]) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}?{urllib.parse.urlencode(params)}", timeout=15) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def values(self, expr: str) -> list[float]:
        """The non-NaN values of an instant query now (NaN is what Grafana shows as no value)."""
        data = self.get("/api/v1/query", {"query": expr})
        if data["resultType"] == "scalar":
            return [float(data["result"][1])]
        return [v for v in (float(item["value"][1]) for item in data["result"]) if not math.isnan(v)]


def _signup(client: httpx.Client) -> dict[str, str]:
    email, password = f"load-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    assert client.post("/api/v1/auth/register", json={"email": email, "password": password}).status_code == 201
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def run_load(base_url: str, login_limit: int) -> None:
    """Sign up two users, leave a reminder due, then write, list and chat (whole and streamed) until the budget runs
    out; end with a 429."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        users = [_signup(client), _signup(client)]
        # A reminder already due, so the in-process worker sends one and the lateness panels have data.
        due = {"title": "load reminder", "remind_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        assert client.post("/api/v1/tasks", json=due, headers=users[0]).status_code == 201
        deadline, rounds = time.monotonic() + LOAD_SECONDS, 0
        while time.monotonic() < deadline and rounds < MAX_ROUNDS:
            auth = users[rounds % len(users)]
            assert client.post("/api/v1/tasks", json={"title": f"load task {rounds}"}, headers=auth).status_code == 201
            assert client.get("/api/v1/tasks", headers=auth).status_code == 200
            assert client.get("/api/v1/no-such-thing", headers=auth).status_code == 404
            if rounds % 2 == 0:
                # every other turn streamed, so the time-to-first-chunk panels have data
                path = "/api/v1/chat/stream" if rounds % 4 else "/api/v1/chat"
                chat = client.post(path, json={"message": CHAT[rounds // 2 % len(CHAT)]}, headers=auth)
                assert chat.status_code == 200, chat.text
            rounds += 1
        for _ in range(login_limit + 5):
            r = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password"})
            if r.status_code == 429:
                return
        pytest.fail(f"no sign-in was refused after {login_limit + 5} failed attempts")


def _wait(check: Any, what: str, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"{what} within {seconds:g} s; prometheus log:\n{log.read_text()[-3000:]}")


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.rstrip("Z").split(".")[0] + "+00:00").timestamp()


@pytest.fixture(scope="module")
def scraped(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    prometheus = require_tool("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    # Rate limiting on, generous except for signing in, so the load shows one refused request.
    settings = make_settings(
        database_url, rate_limit_enabled=True, rate_limit_per_minute=100_000, rate_limit_chat_per_minute=100_000
    )
    with LiveServer.start(settings) as live:
        target = f"127.0.0.1:{live.port}"
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in sorted((ROOT / "alerts").glob("*.rules.yaml"))],
            "scrape_configs": [
                {
                    "job_name": c.SERVICE_NAME,
                    "static_configs": [{"targets": [target], "labels": {ENV_LABEL: ENVIRONMENT}}],
                }
            ],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        port, log_path = free_port(), work / "prometheus.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={work / 'prometheus.yml'}",
                    f"--storage.tsdb.path={work / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--enable-feature=exemplar-storage",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=work,
            )
            try:
                scraped = Scraped(f"http://127.0.0.1:{port}", target, 0.0, 0.0)
                _wait(
                    lambda: scraped.values(f'up{{instance="{target}"}}') == [1.0], "no successful scrape", 60, log_path
                )
                scraped.load_started = time.time()
                run_load(live.url, settings.rate_limit_login_per_minute)
                scraped.load_ended = time.time()

                def evaluated_after_load() -> bool:
                    groups = scraped.get("/api/v1/rules", {})["groups"]
                    return bool(groups) and all(_ts(g["lastEvaluation"]) > scraped.load_ended + 2 for g in groups)

                _wait(evaluated_after_load, "the rules were not evaluated after the load", 60, log_path)
                yield scraped
            finally:
                stop_process(proc, timeout=20)


def _values(scraped: Scraped) -> dict[str, str]:
    return {
        RATE_WINDOW.removeprefix("$"): "1m",
        ENV_VAR: ENVIRONMENT,
        INSTANCE_VAR: scraped.target,
        SLO_VAR: ".*",
    }


def test_every_panel_query_returns_data_after_a_short_load(scraped: Scraped, built: list[Board]) -> None:
    empty, checked, quiet = [], 0, 0
    for board in built:
        for title, q in board.queries():
            if q.needs is not None and q.needs not in PROVOKED:
                quiet += 1
                continue
            checked += 1
            if not scraped.values(substitute(q.expr, _values(scraped))):
                empty.append(f"{board.title} / {title}: {q.expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)
    assert checked >= 80
    assert quiet <= 10


def test_template_variables_list_the_scraped_environment_and_instance(scraped: Scraped) -> None:
    envs = scraped.get(f"/api/v1/label/{ENV_LABEL}/values", [("match[]", PRESENCE_SERIES)])
    assert envs == [ENVIRONMENT]
    match = f'{PRESENCE_SERIES}{{{ENV_LABEL}="{ENVIRONMENT}"}}'
    assert scraped.target in scraped.get(f"/api/v1/label/{c.LABEL_INSTANCE}/values", [("match[]", match)])


def test_latency_exemplars_carry_the_trace_id_that_opens_the_trace(scraped: Scraped, built: list[Board]) -> None:
    latency = [q.expr for b in built for _, q in b.queries() if q.exemplars and c.HTTP_SERVER_DURATION in q.expr]
    assert latency
    data = scraped.get(
        "/api/v1/query_exemplars",
        {
            "query": substitute(latency[0], _values(scraped)),
            "start": f"{scraped.load_started:.3f}",
            "end": f"{time.time():.3f}",
        },
    )
    trace_ids = [e["labels"].get("trace_id", "") for series in data for e in series["exemplars"]]
    assert trace_ids
    assert all(len(t) == 32 and int(t, 16) for t in trace_ids)
