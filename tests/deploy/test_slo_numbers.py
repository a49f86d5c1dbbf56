"""One source of truth: the autoscaling thresholds and the canary's rollback triggers equal the SLO spec's."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.canary import TEMPLATE_NAME
from slo.durations import format_duration
from slo.model import RollbackTrigger, Spec
from telemetry import conventions as c
from tests.deploy.conftest import K8S, OVERLAYS, Manifest, find, tool

ANALYSIS_ARGS = {
    "{{args.namespace}}": "todochat",
    "{{args.canary-hash}}": "5d8f7c9b4",
    "{{args.prometheus-address}}": "http://prometheus:9090",
}


def percent(ratio: float) -> int:
    return round(ratio * 100)


def resource_targets(hpa: Manifest) -> dict[str, int]:
    return {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource"
    }


def pods_targets(hpa: Manifest) -> dict[str, float]:
    return {
        m["pods"]["metric"]["name"]: float(m["pods"]["target"]["averageValue"])
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Pods"
    }


def analysis_metrics(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    template = find(manifests, "AnalysisTemplate", TEMPLATE_NAME)
    return {m["name"]: m for m in template["spec"]["metrics"]}


def rollback_mismatches(trigger: RollbackTrigger, metric: dict[str, Any]) -> list[str]:
    """How an AnalysisTemplate metric differs from the spec's rollback trigger of the same name."""
    problems = []
    query: str = metric["provider"]["prometheus"]["query"]
    expected_condition = f"result[0] > {trigger.threshold:g}"
    if metric.get("failureCondition") != expected_condition:
        problems.append(f"failureCondition is {metric.get('failureCondition')!r}, spec says {expected_condition!r}")
    if metric.get("failureLimit") != 0:
        problems.append("failureLimit must be 0: one measurement over the threshold rolls back")
    ranges = set(re.findall(r"\[(\w+)\]", query))
    if ranges != {format_duration(trigger.window_seconds)}:
        problems.append(f"query windows {sorted(ranges)} differ from the spec's {trigger.window_seconds}s")
    if f">= {trigger.min_events}" not in query:
        problems.append(f"query does not require the spec's {trigger.min_events} events")
    if trigger.total.series not in query:
        problems.append(f"query does not count {trigger.total.series}")
    matchers = (trigger.bad or trigger.total).matchers
    for matcher in matchers:
        if matcher.promql() not in query:
            problems.append(f"query lacks the spec's matcher {matcher.promql()}")
    if trigger.kind == "latency":
        assert trigger.metric is not None
        if trigger.percentile is not None:
            if f"histogram_quantile({trigger.percentile:g}," not in query or f"{trigger.metric}_bucket" not in query:
                problems.append(f"query is not the P{percent(trigger.percentile)} of {trigger.metric}")
        elif f"{trigger.metric}_sum" not in query:
            problems.append("query is not the average response time")
    return problems


@pytest.mark.parametrize("env", OVERLAYS)
@pytest.mark.parametrize("name", ["todochat-api", "todochat-mcp"])
def test_autoscalers_use_the_specs_cpu_and_memory_thresholds(
    rendered: dict[str, list[Manifest]], spec: Spec, env: str, name: str
) -> None:
    assert spec.scaling is not None
    hpa = find(rendered[env], "HorizontalPodAutoscaler", name)
    assert resource_targets(hpa) == {
        "cpu": percent(spec.scaling.cpu_ratio),
        "memory": percent(spec.scaling.memory_ratio),
    }


def test_production_also_scales_on_the_specs_request_rate_and_average_response_time(
    production: list[Manifest], spec: Spec
) -> None:
    assert spec.scaling is not None
    hpa = find(production, "HorizontalPodAutoscaler", "todochat-api")
    assert pods_targets(hpa) == {
        "todochat_http_requests_per_second": spec.scaling.requests_per_second,
        "todochat_http_request_duration_seconds_average": spec.scaling.average_response_seconds,
    }


def test_staging_scales_on_resources_only_because_it_has_no_custom_metrics_adapter(
    rendered: dict[str, list[Manifest]],
) -> None:
    assert pods_targets(find(rendered["staging"], "HorizontalPodAutoscaler", "todochat-api")) == {}


def test_the_custom_metrics_adapter_publishes_those_metrics_over_the_specs_window(spec: Spec) -> None:
    assert spec.scaling is not None
    rules = yaml.safe_load((K8S / "components" / "requests-per-second" / "prometheus-adapter-rules.yaml").read_text())
    published = {rule["name"]["as"]: rule for rule in rules["rules"]["custom"]}
    assert set(published) == {"todochat_http_requests_per_second", "todochat_http_request_duration_seconds_average"}
    window = format_duration(spec.scaling.window_seconds)
    for rule in published.values():
        assert c.HTTP_SERVER_DURATION in rule["seriesQuery"]
        assert set(re.findall(r"\[(\w+)\]", rule["metricsQuery"])) == {window}


def test_the_canary_sends_ten_percent_of_traffic_first(production: list[Manifest]) -> None:
    rollout = find(production, "Rollout", "todochat-api")["spec"]
    canary = rollout["strategy"]["canary"]
    weights = [step["setWeight"] for step in canary["steps"] if "setWeight" in step]
    assert weights[0] == 10
    assert weights == sorted(weights)
    assert weights[-1] == 100
    assert canary["steps"][1]["pause"]["duration"], "the first step must hold at 10% before going on"
    assert canary["analysis"]["startingStep"] == 1
    assert canary["analysis"]["templates"] == [{"templateName": TEMPLATE_NAME}]
    assert find(production, "Service", canary["stableService"])
    assert find(production, "Service", canary["canaryService"])
    assert find(production, "Ingress", canary["trafficRouting"]["nginx"]["stableIngress"])
    deployment = find(production, "Deployment", rollout["workloadRef"]["name"])
    assert rollout["selector"] == deployment["spec"]["selector"]
    target = find(production, "HorizontalPodAutoscaler", "todochat-api")["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "todochat-api"}


def test_the_analysis_arguments_are_all_supplied(production: list[Manifest]) -> None:
    template = find(production, "AnalysisTemplate", TEMPLATE_NAME)["spec"]
    given = {
        a["name"] for a in find(production, "Rollout", "todochat-api")["spec"]["strategy"]["canary"]["analysis"]["args"]
    }
    defaulted = {a["name"] for a in template["args"] if "value" in a}
    used = set(re.findall(r"\{\{args\.([\w-]+)\}\}", yaml.safe_dump(template)))
    assert used <= given | defaulted
    assert {f"{{{{args.{name}}}}}" for name in used} == set(ANALYSIS_ARGS)


def test_every_rollback_trigger_of_the_spec_has_an_analysis_metric_with_its_numbers(
    production: list[Manifest], spec: Spec
) -> None:
    metrics = analysis_metrics(production)
    assert {t.name for t in spec.rollback} <= set(metrics)
    for trigger in spec.rollback:
        assert rollback_mismatches(trigger, metrics[trigger.name]) == [], trigger.name


def test_a_threshold_that_drifts_from_the_spec_is_caught(production: list[Manifest], spec: Spec) -> None:
    metrics = analysis_metrics(production)
    for trigger in spec.rollback:
        drifted = copy.deepcopy(metrics[trigger.name])
        drifted["failureCondition"] = f"result[0] > {trigger.threshold * 2:g}"
        drifted["provider"]["prometheus"]["query"] = drifted["provider"]["prometheus"]["query"].replace(
            f"[{format_duration(trigger.window_seconds)}]", "[1h]"
        )
        problems = rollback_mismatches(trigger, drifted)
        assert len(problems) == 2, problems


def test_the_rollback_queries_use_the_conventions_metric_names(production: list[Manifest], spec: Spec) -> None:
    metrics = analysis_metrics(production)
    for metric in (metrics[t.name] for t in spec.rollback):
        query = metric["provider"]["prometheus"]["query"]
        names = set(re.findall(r"([a-z_]+)\{", query))
        assert names <= {f"{c.HTTP_SERVER_DURATION}_{suffix}" for suffix in ("count", "bucket", "sum")}
        for label in re.findall(r"[{,]\s*([a-z_]+)\s*[!=~]", query):
            assert label in {"namespace", "rollouts_pod_template_hash", c.LABEL_STATUS_CLASS, c.LABEL_ROUTE}


def test_the_analysis_queries_are_valid_promql(production: list[Manifest], tmp_path: Path) -> None:
    rules = []
    for name, metric in analysis_metrics(production).items():
        query = metric["provider"]["prometheus"]["query"]
        for placeholder, value in ANALYSIS_ARGS.items():
            query = query.replace(placeholder, value)
        rules.append({"record": f"todochat:{name.replace('-', '_')}", "expr": query})
    path = tmp_path / "analysis-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "analysis", "rules": rules}]}))
    result = subprocess.run(
        [tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
