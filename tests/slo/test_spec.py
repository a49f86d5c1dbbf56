"""Spec validation: the default spec is valid, and every error names the file, the SLO and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from slo.errors import SpecError
from slo.load import load_spec, spec_from_text
from slo.model import GaugeIndicator, LatencyIndicator, RatioIndicator, Selector
from telemetry import conventions as c

HEAD = "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: t\n"


def test_the_default_spec_carries_the_deployment_spec_targets() -> None:
    spec = load_spec()
    names = {s.name for s in spec.slos}
    assert {"api-availability", "api-latency-p95", "api-latency-p99", "chat-turn-latency"} <= names
    p95 = spec.slo("api-latency-p95").indicator
    assert isinstance(p95, LatencyIndicator)
    assert (p95.percentile, p95.threshold) == (0.95, 0.3)
    rto = spec.slo("restore-time").indicator
    rpo = spec.slo("data-loss-window").indicator
    assert isinstance(rto, GaugeIndicator)
    assert isinstance(rpo, GaugeIndicator)
    assert dict(rto.thresholds) == {"critical": 900, "high": 3600, "medium": 14400, "low": 86400}
    assert dict(rpo.thresholds) == {"critical": 300, "high": 3600, "medium": 14400, "low": 86400}
    rollback = {r.name: (r.threshold, r.window_seconds) for r in spec.rollback}
    assert rollback == {"rollback-error-rate": (0.05, 900), "rollback-response-time": (5.0, 300)}
    assert spec.scaling is not None
    assert (spec.scaling.cpu_ratio, spec.scaling.memory_ratio) == (0.7, 0.8)
    assert (spec.scaling.requests_per_second, spec.scaling.average_response_seconds) == (1000, 2)


@pytest.mark.parametrize("unit", ["month", "week"])
def test_a_calendar_window_is_refused_because_prometheus_rules_cannot_follow_it(unit: str) -> None:
    body = (
        f"slos:\n  - name: api\n    target: 0.99\n    window: {{calendar: {unit}}}\n    indicator:\n      ratio:\n"
        "        metric: todochat_chat_turns_total\n        good: {outcome: ok}\n"
    )
    with pytest.raises(SpecError, match=r"SLO 'api', field window.*cannot be expressed in Prometheus rules.*30d"):
        spec_from_text(HEAD + body, "s.yaml")
    with pytest.raises(SpecError, match=r"defaults\.window"):
        spec_from_text(
            HEAD + f"defaults:\n  window: {{calendar: {unit}}}\n" + body.replace(f"{{calendar: {unit}}}", "30d")
        )


PROBES = ("/health", "/health/ready", "/metrics")
USER_ROUTES = ("/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/auth/login", "/mcp/{path}")


def _selects(selector: Selector, route: str) -> bool:
    le = next((m.values[0] for m in selector.matchers if m.label == c.LABEL_LE), "+Inf")
    return selector.matches(selector.series, {c.LABEL_ROUTE: route, c.LABEL_STATUS_CLASS: "5xx", c.LABEL_LE: le})


def test_probes_and_scrapes_count_only_toward_their_own_objective() -> None:
    spec = load_spec()
    user_facing: list[Selector] = []
    for name in ("api-availability", "api-latency-p95", "api-latency-p99"):
        ind = spec.slo(name).indicator
        assert isinstance(ind, RatioIndicator | LatencyIndicator)
        user_facing += [ind.total, ind.events] if isinstance(ind, RatioIndicator) else [ind.total, ind.good_bucket]
    for trigger in spec.rollback:
        user_facing += [trigger.total, *([trigger.bad] if trigger.bad else [])]
    for selector in user_facing:
        assert not any(_selects(selector, probe) for probe in PROBES), selector.promql()
        assert all(_selects(selector, route) for route in USER_ROUTES), selector.promql()
    probes = spec.slo("probe-availability")
    assert isinstance(probes.indicator, RatioIndicator)
    assert all(_selects(probes.indicator.events, probe) for probe in PROBES)
    assert not any(_selects(probes.indicator.total, route) for route in USER_ROUTES)
    assert probes.tiers == ("medium", "low")  # a ticket, not a page


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "slos:\n  - name: api\n    target: 0.99\n    indicator:\n      ratio:\n"
            "        metric: http_requests_total\n        bad: {http_status_class: 5xx}\n",
            ["bad.yaml: SLO 'api', field indicator.ratio.metric", "not a histogram or counter"],
            id="an unknown metric names the SLO and the field",
        ),
        pytest.param(
            "slos:\n  - name: slow\n    indicator:\n      latencyPercentile:\n"
            "        metric: http_server_request_duration_seconds\n        percentile: 0.95\n        threshold: 0.33\n",
            ["SLO 'slow', field indicator.latencyPercentile", "0.33s is not a bucket edge"],
            id="a latency threshold off the bucket edges is refused",
        ),
        pytest.param(
            "slos:\n  - name: api\n    target: 0.99\n    indicator:\n      ratio:\n"
            "        metric: http_server_request_duration_seconds\n        bad: {status: 5xx}\n",
            ["SLO 'api', field indicator.ratio.bad", "label 'status' is not defined"],
            id="an unknown label is refused",
        ),
        pytest.param(
            "slos:\n  - name: api\n    indicator:\n      ratio:\n"
            "        metric: http_server_request_duration_seconds\n        bad: {http_status_class: 5xx}\n",
            ["SLO 'api', field (itself)", "needs a target"],
            id="a ratio without a target is refused",
        ),
        pytest.param(
            "slos:\n  - name: api\n    target: 1.5\n    indicator:\n      ratio:\n"
            "        metric: http_server_request_duration_seconds\n        bad: {http_status_class: 5xx}\n",
            ["SLO 'api', field target", "less than 1"],
            id="a target above one is refused",
        ),
        pytest.param(
            "slos:\n  - name: rto\n    indicator:\n      gauge:\n        metric: todochat_restore_drill_rto_seconds\n"
            "        objectives: {critical: 15 minutes}\n",
            ["SLO 'rto', field indicator.gauge.objectives", "not a duration"],
            id="a gauge objective that is not a duration is refused",
        ),
        pytest.param(
            "slos:\n  - name: api\n    target: 0.99\n    window: 30days\n    indicator:\n      ratio:\n"
            "        metric: http_server_request_duration_seconds\n        bad: {http_status_class: 5xx}\n",
            ["SLO 'api', field window"],
            id="a bad window names the field",
        ),
    ],
)
def test_spec_errors_name_file_slo_and_field(body: str, expected: list[str]) -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_text(HEAD + body, "bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml: ")
    for part in expected:
        assert part in message


def test_an_unsupported_api_version_is_refused() -> None:
    with pytest.raises(SpecError, match=r"unsupported apiVersion 'slo\.todochat/v9'"):
        spec_from_text(HEAD.replace("v1", "v9") + "slos: []\n", "old.yaml")


def test_repeated_names_are_refused() -> None:
    slo = (
        "  - name: api\n    target: 0.99\n    indicator:\n      ratio:\n"
        "        metric: http_server_request_duration_seconds\n        bad: {http_status_class: 5xx}\n"
    )
    with pytest.raises(SpecError, match=r"repeated: \['api'\]"):
        spec_from_text(HEAD + "slos:\n" + slo + slo)


def test_a_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "nope.yaml")
