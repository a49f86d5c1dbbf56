"""Maintenance windows in the real tools: Alertmanager mutes by them, Prometheus answers the model's windows.

amtool (0.25 here, and upstream: prometheus/alertmanager#3889) cannot evaluate time intervals at a given time:
`config routes test` only names receivers. So a real Alertmanager on 127.0.0.1 receives one alert per tier while
a window is open (a one-off window around now) and while none is, and we look at what reached the webhooks.
It can only use its own clock, so which dates it mutes is checked against the model in test_maintenance.py.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.alertmanager import alertmanager_config
from slo.cli import ALERTS_DIR
from slo.load import load_spec, spec_from_text
from slo.maintenance import concrete_windows, in_maintenance, next_window
from slo.maintenance_rules import maintenance_group
from tests.support import free_port, require_tool, stop_process

TIERS = ("critical", "high", "medium", "low")
SPEC_TEXT = (Path(__file__).resolve().parents[2] / "slo" / "specs" / "todo-chatbot.yaml").read_text()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("tier", "receiver"),
    [("critical", "page"), ("high", "page"), ("medium", "ticket"), ("low", "digest")],
)
def test_amtool_routes_each_tier_to_its_receiver_with_maintenance_in_the_config(tier: str, receiver: str) -> None:
    amtool = require_tool("amtool")
    result = _run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={ALERTS_DIR / 'alertmanager.yml'}",
        f"--verify.receivers={receiver}",
        f"severity={tier}",
        "slo=api-availability",
        "alertname=SLOErrorBudgetBurn",
    )
    assert result.returncode == 0, result.stdout + result.stderr


class _Hooks(BaseHTTPRequestHandler):
    received: list[tuple[str, str]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for alert in body["alerts"]:
            self.received.append((self.path.strip("/"), alert["labels"]["severity"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhooks() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    received: list[tuple[str, str]] = []
    handler = type("Hooks", (_Hooks,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()


def _spec_with_window(hooks: str, start: dt.datetime, end: dt.datetime) -> str:
    """The packaged spec, its webhooks pointed at the test, with one one-off window as its only one (the packaged
    schedule would make the outcome depend on the day the test runs)."""
    doc = yaml.safe_load(SPEC_TEXT)
    doc["maintenance"]["recurring"] = []
    doc["receivers"] = {name: f"{hooks}/{name}" for name in ("page", "ticket", "digest")}
    doc["maintenance"]["calendar"] = {
        "from": (start - dt.timedelta(days=1)).date(),
        "until": (end + dt.timedelta(days=1)).date(),
    }
    doc["maintenance"]["windows"] = [{"start": start, "end": end, "reason": "test window"}]
    return yaml.safe_dump(doc)


def _deliveries(config: dict[str, Any], tmp_path: Path, received: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Send one alert per tier through a real Alertmanager running `config`; (receiver, tier) that arrived."""
    binary = require_tool("prometheus-alertmanager")
    for route in config["route"]["routes"]:  # only the timing changes: a test cannot wait an hour for the digest
        route.update(group_wait="1s", group_interval="1s")
    config["route"].update(group_wait="1s", group_interval="1s")
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"alertmanager did not start:\n{(tmp_path / 'alertmanager.log').read_text()}")
                time.sleep(0.2)
        # Different SLOs, so inhibition (a higher tier silencing lower ones of the same SLO) plays no part.
        alerts = [{"labels": {"alertname": "SLOErrorBudgetBurn", "severity": t, "slo": f"slo-{t}"}} for t in TIERS]
        request = urllib.request.Request(
            f"{base}/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5).close()
        time.sleep(6)  # group_wait 1s, plus the dispatcher's ticks: every unmuted alert has arrived by now
        return set(received)
    finally:
        stop_process(proc)
        log.close()


def test_inside_a_window_alertmanager_pages_critical_and_high_and_mutes_medium_and_low(
    webhooks: tuple[str, list[tuple[str, str]]], tmp_path: Path
) -> None:
    hooks, received = webhooks
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    spec = spec_from_text(_spec_with_window(hooks, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)))
    assert in_maintenance(spec.maintenance, dt.datetime.now(dt.UTC))
    delivered = _deliveries(alertmanager_config(spec), tmp_path, received)
    assert delivered == {("page", "critical"), ("page", "high")}


def test_outside_any_window_alertmanager_sends_every_tier(
    webhooks: tuple[str, list[tuple[str, str]]], tmp_path: Path
) -> None:
    hooks, received = webhooks
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    spec = spec_from_text(_spec_with_window(hooks, now + dt.timedelta(hours=3), now + dt.timedelta(hours=5)))
    assert not in_maintenance(spec.maintenance, dt.datetime.now(dt.UTC))
    delivered = _deliveries(alertmanager_config(spec), tmp_path, received)
    assert delivered == {("page", "critical"), ("page", "high"), ("ticket", "medium"), ("digest", "low")}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 with nothing to scrape: the maintenance expressions need only time()."""
    binary = require_tool("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    (work / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"prometheus did not start:\n{(work / 'prometheus.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield base
    finally:
        stop_process(proc)
        log.close()


def _query(base: str, expr: str, moment: dt.datetime) -> list[float]:
    params = urllib.parse.urlencode({"query": expr, "time": f"{moment.timestamp():.0f}"})
    with urllib.request.urlopen(f"{base}/api/v1/query?{params}", timeout=10) as response:
        data = json.load(response)["data"]["result"]
    return [float(item["value"][1]) for item in data]


def test_prometheus_answers_the_models_windows_and_next_start_at_every_edge(prometheus: str) -> None:
    spec = load_spec()
    cal = spec.maintenance
    rules = {r.get("record") or r["alert"]: r["expr"] for r in maintenance_group(cal)["rules"]}
    moments = [cal.calendar_from]
    for w in concrete_windows(cal):
        for edge in (w.start, w.end):
            moments += [edge - dt.timedelta(minutes=1), edge, edge + dt.timedelta(minutes=1)]
        moments.append(w.start - cal.notice)
        moments.append(w.start - cal.notice - dt.timedelta(minutes=1))
    for moment in moments:
        assert _query(prometheus, rules["slo:maintenance:active"], moment) == [float(in_maintenance(cal, moment))]
        nxt = next_window(cal, moment)
        expected = [nxt.start.timestamp()] if nxt is not None and nxt.start < cal.calendar_until else []
        assert _query(prometheus, rules["slo:maintenance:next_start_timestamp_seconds"], moment) == expected
        # UpcomingMaintenance, with the recorded series replaced by its expression
        notice = rules["UpcomingMaintenance"].replace(
            "slo:maintenance:next_start_timestamp_seconds", f"({rules['slo:maintenance:next_start_timestamp_seconds']})"
        )
        firing = bool(_query(prometheus, notice, moment))
        assert firing is (nxt is not None and nxt.start - moment <= cal.notice), moment
