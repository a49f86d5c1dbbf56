"""The canary's AnalysisTemplate is generated from the SLO spec: committed as generated, and it follows the spec."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.canary import (
    CANARY_HASH_ARG,
    NAMESPACE_ARG,
    OBJECTIVE_FAILURE_LIMIT,
    TEMPLATE_NAME,
    analysis_template,
    analysis_template_file,
)
from slo.cli import CANARY_TEMPLATE
from slo.load import spec_from_text
from slo.model import GaugeIndicator, Spec
from tests.deploy.conftest import SPEC_PATH, Manifest, find

SPEC_LABEL = "slo/specs/todo-chatbot.yaml"
TODOCHAT = Path(sys.executable).with_name("todochat")


def metrics_of(spec: Spec) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in analysis_template(spec)["spec"]["metrics"]}


def spec_with(*replacements: tuple[str, str]) -> Spec:
    text = SPEC_PATH.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return spec_from_text(text, "changed-spec.yaml")


def test_the_committed_template_is_what_the_generator_makes_from_the_spec(spec: Spec) -> None:
    assert CANARY_TEMPLATE.read_text() == analysis_template_file(spec, SPEC_LABEL), "run `todochat slo canary`"


def test_the_rollout_runs_the_generated_template(production: list[Manifest], spec: Spec) -> None:
    rendered = find(production, "AnalysisTemplate", TEMPLATE_NAME)
    assert rendered["spec"] == analysis_template(spec)["spec"]


def test_every_rollback_trigger_and_event_objective_is_measured_and_no_recovery_gauge(spec: Spec) -> None:
    events = [s.name for s in spec.slos if not isinstance(s.indicator, GaugeIndicator)]
    assert list(metrics_of(spec)) == [t.name for t in spec.rollback] + events


def test_triggers_abort_at_once_and_objectives_tolerate_a_noisy_minute(spec: Spec) -> None:
    metrics = metrics_of(spec)
    assert {metrics[t.name]["failureLimit"] for t in spec.rollback} == {0}
    objectives = {m["failureLimit"] for name, m in metrics.items() if name not in {t.name for t in spec.rollback}}
    assert objectives == {OBJECTIVE_FAILURE_LIMIT}


def test_every_query_looks_at_the_canarys_pods_only(spec: Spec) -> None:
    for name, metric in metrics_of(spec).items():
        query = metric["provider"]["prometheus"]["query"]
        selectors = len(re.findall(r"[a-z]\{", query))  # a series name, then its matchers
        assert query.count(f'namespace="{NAMESPACE_ARG}"') == selectors, name
        assert query.count(f'rollouts_pod_template_hash="{CANARY_HASH_ARG}"') == selectors, name


@pytest.mark.parametrize(
    ("change", "metric", "condition"),
    [
        pytest.param(("above: 0.05", "above: 0.1"), "rollback-error-rate", "result[0] > 0.1", id="rollback-ratio"),
        pytest.param(("above: 5\n", "above: 3\n"), "rollback-response-time", "result[0] > 3", id="rollback-latency"),
        pytest.param(("target: 0.999", "target: 0.995"), "api-availability", "result[0] > 0.005", id="error-budget"),
        pytest.param(("threshold: 0.3", "threshold: 0.5"), "api-latency-p95", "result[0] > 0.5", id="latency"),
    ],
)
def test_a_threshold_changed_in_the_spec_changes_the_template(
    spec: Spec, change: tuple[str, str], metric: str, condition: str
) -> None:
    changed = metrics_of(spec_with(change))

    assert changed[metric]["failureCondition"] == condition
    assert metrics_of(spec)[metric]["failureCondition"] != condition
    others = {name: m for name, m in changed.items() if name != metric}
    assert others == {name: m for name, m in metrics_of(spec).items() if name != metric}


def test_a_window_or_traffic_floor_changed_in_the_spec_changes_the_queries(spec: Spec) -> None:
    changed = metrics_of(spec_with(("window: 15m", "window: 30m"), ("minEvents: 100", "minEvents: 500")))

    error_rate = changed["rollback-error-rate"]["provider"]["prometheus"]["query"]
    assert "[30m]" in error_rate
    assert "[15m]" not in error_rate
    assert ">= 500" in error_rate
    assert ">= 500" in changed["api-availability"]["provider"]["prometheus"]["query"]


def test_a_new_objective_in_the_spec_gets_its_own_measurement(spec: Spec) -> None:
    text = SPEC_PATH.read_text().replace(
        "\nrollback:",
        "  - name: search-latency\n    indicator:\n      latencyPercentile:\n"
        "        metric: http_server_request_duration_seconds\n        filter: {http_route: /api/v1/tasks}\n"
        "        percentile: 0.9\n        threshold: 0.2\n\nrollback:",
    )
    metric = metrics_of(spec_from_text(text, "new-objective.yaml"))["search-latency"]
    assert metric["failureCondition"] == "result[0] > 0.2"
    assert "histogram_quantile(0.9," in metric["provider"]["prometheus"]["query"]


def _slo_canary(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TODOCHAT), "slo", "canary", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_slo_canary_check_accepts_the_committed_file_and_refuses_a_stale_one(tmp_path: Path) -> None:
    assert _slo_canary("--check").returncode == 0
    stale = tmp_path / "analysistemplate.yaml"
    stale.write_text(CANARY_TEMPLATE.read_text().replace("result[0] > 0.05", "result[0] > 0.5"))

    result = _slo_canary("--check", "--out", str(stale))

    assert result.returncode == 1
    assert "run `todochat slo canary` to regenerate" in result.stderr
    written = _slo_canary("--out", str(stale))
    assert written.returncode == 0
    assert yaml.safe_load(stale.read_text()) == yaml.safe_load(CANARY_TEMPLATE.read_text())
