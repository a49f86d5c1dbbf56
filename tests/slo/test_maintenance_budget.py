"""excludeMaintenance: the engine and a real Prometheus running the generated rules leave the same windows out of
the SLO period, so they agree on the error ratio and the budget left."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from slo.engine import evaluate, plan
from slo.engine.results import SLOResult
from slo.load import spec_from_text
from slo.model import Spec
from slo.rules import rule_files
from slo.sources.prometheus import PrometheusSource
from slo.sources.series import Series, answer
from tests.slo.test_prometheus import STEP, openmetrics, synthetic_series
from tests.support import free_port, require_tool, stop_process

HIST = "http_server_request_duration_seconds"


def spec_text(end: float) -> str:
    """Two SLOs that leave maintenance out, one that keeps it; a window ended 8 hours ago and one open now."""

    def iso(offset_minutes: int) -> str:
        return dt.datetime.fromtimestamp(end + offset_minutes * 60, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    day = dt.datetime.fromtimestamp(end, dt.UTC).date()
    return f"""
apiVersion: slo.todochat/v1
kind: ServiceLevelObjectives
service: maintenance-budget
defaults: {{window: 30d, minEvents: 100}}
slos:
  - name: errors-excluding
    target: 0.99
    excludeMaintenance: true
    indicator: {{ratio: {{metric: {HIST}, filter: {{http_route: /r/medium}}, bad: {{http_status_class: 5xx}}}}}}
  - name: errors-counting
    target: 0.99
    indicator: {{ratio: {{metric: {HIST}, filter: {{http_route: /r/medium}}, bad: {{http_status_class: 5xx}}}}}}
  - name: latency-excluding
    excludeMaintenance: true
    indicator:
      latencyPercentile: {{metric: {HIST}, filter: {{http_route: /r/latency}}, percentile: 0.95, threshold: 0.3}}
maintenance:
  calendar: {{from: {day - dt.timedelta(days=40)}, until: {day + dt.timedelta(days=2)}}}
  recurring: []
  windows:
    - {{start: {iso(-600)}, end: {iso(-480)}, reason: ended eight hours ago}}
    - {{start: {iso(-30)}, end: {iso(90)}, reason: open now}}
"""


@dataclass
class Loaded:
    spec: Spec
    series: list[Series]
    end: float
    prometheus: PrometheusSource


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    promtool = require_tool("promtool")
    binary = require_tool("prometheus")
    work = tmp_path_factory.mktemp("maintenance-budget")
    end = math.floor(time.time() / STEP) * STEP
    spec = spec_from_text(spec_text(end))
    series = synthetic_series(end)
    (work / "series.om").write_text(openmetrics(series))
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(work / "series.om"), str(work / "data")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (work / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=30d",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"prometheus did not start:\n{(work / 'prometheus.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield Loaded(spec, series, end, PrometheusSource(url))
    finally:
        stop_process(proc)
        log.close()


def _period_ratio_rule(spec: Spec, slo: str) -> str:
    for group in rule_files(spec)["slo.rules.yaml"]["groups"]:
        for rule in group["rules"]:
            labels = rule.get("labels", {})
            if rule.get("record") == "slo:error_ratio" and labels == {"slo": slo, "window": "30d"}:
                return str(rule["expr"])
    raise AssertionError(f"no 30d error ratio rule for {slo}")


def _engine(loaded: Loaded) -> dict[str, SLOResult]:
    report = evaluate(loaded.spec, answer(plan(loaded.spec, loaded.end), loaded.series, loaded.end), loaded.end)
    return {r.slo: r for r in report.slos}


@pytest.mark.parametrize("slo", ["errors-excluding", "errors-counting", "latency-excluding"])
def test_engine_and_prometheus_agree_on_the_period_error_ratio_with_maintenance_left_out(
    loaded: Loaded, slo: str
) -> None:
    ((_, theirs),) = loaded.prometheus.query(_period_ratio_rule(loaded.spec, slo), loaded.end)
    ours = _engine(loaded)[slo].windows[-1].error_ratio
    assert ours is not None
    assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (ours, theirs)


def test_leaving_maintenance_out_changes_the_budget_by_the_ended_window_only(loaded: Loaded) -> None:
    results = _engine(loaded)
    excluding, counting = results["errors-excluding"], results["errors-counting"]
    period_ex, period_in = excluding.windows[-1], counting.windows[-1]
    # 1000 requests a minute: the window that ended eight hours ago (two hours) is out, the open one still counts.
    assert period_in.total - period_ex.total == pytest.approx(120 * 1000)
    assert period_ex.error_ratio is not None
    assert period_in.error_ratio is not None
    assert period_ex.error_ratio < period_in.error_ratio
    assert excluding.error_budget_remaining is not None
    assert counting.error_budget_remaining is not None
    assert excluding.error_budget_remaining > counting.error_budget_remaining
    # Burn-rate windows still see maintenance: critical pages during it.
    assert excluding.window_result("1d") == counting.window_result("1d")
