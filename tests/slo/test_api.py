"""GET /api/v1/slo and the SLO gauges, evaluated from the app's own metrics registry."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY, generate_latest

from app.api.routes.slo import install
from telemetry import conventions as c
from telemetry import metrics


async def test_slo_endpoint_reports_burn_from_the_apps_own_requests() -> None:
    app = FastAPI()
    install(app)
    route = "/api/v1/slo-test-route"
    for _ in range(40):
        metrics.http_server_duration.labels(route, "GET", "2xx").observe(0.05)
    for _ in range(10):
        metrics.http_server_duration.labels(route, "GET", "5xx").observe(0.05)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        response = await client.get("/api/v1/slo")
    assert response.status_code == 200
    body = response.json()
    availability = next(s for s in body["slos"] if s["slo"] == "api-availability")
    five_minutes = next(w for w in availability["windows"] if w["window"] == "5m")
    assert five_minutes["bad"] >= 10
    assert five_minutes["burn_rate"] > 1
    assert body["source"]["kind"] == "process"
    decision = body["policy"]
    assert decision["action"] in ("none", "notify", "freeze_features", "freeze_all")
    assert {d["slo"] for d in decision["slos"]} == {s["slo"] for s in body["slos"]}
    assert "time_to_exhaustion" in availability
    assert {r["slo"] for r in body["recovery"]} == {"restore-time", "data-loss-window", "backup-age"}


def test_slo_gauges_are_exported_with_the_metrics() -> None:
    app = FastAPI()
    install(app)
    metrics.http_server_duration.labels("/api/v1/slo-gauge-route", "GET", "2xx").observe(0.01)
    text = generate_latest(REGISTRY).decode()
    assert f'{c.SLO_ERROR_BUDGET_REMAINING}{{slo="api-availability"}}' in text
    assert f'{c.SLO_BURN_RATE}{{slo="api-availability",window="5m"}}' in text
    assert f'{c.SLO_SLI}{{slo="api-availability"}}' in text
    assert f'{c.SLO_POLICY_ACTION}{{action="' in text


async def test_a_spent_budget_shows_as_freeze_all_in_the_endpoint_and_the_metric() -> None:
    from prometheus_client import CollectorRegistry, Histogram

    from app.core.slo_monitor import SLOMonitor, SLOStateCollector
    from slo.load import load_spec

    registry = CollectorRegistry()
    duration = Histogram(
        c.HTTP_SERVER_DURATION,
        "HTTP server duration",
        [c.LABEL_ROUTE, c.LABEL_METHOD, c.LABEL_STATUS_CLASS],
        buckets=c.HTTP_DURATION_BUCKETS,
        registry=registry,
    )
    clock = [1_750_000_000.0]
    monitor = SLOMonitor(load_spec(), registry, clock=lambda: clock[0])
    monitor.report()  # the history's first sample: every counter at zero
    for _ in range(150):
        duration.labels("/api/v1/tasks", "GET", "2xx").observe(0.01)
    for _ in range(50):
        duration.labels("/api/v1/tasks", "GET", "5xx").observe(0.01)
    clock[0] += 120
    report = monitor.report()
    assert report.policy is not None
    assert report.policy.action == "freeze_all"
    decided = {d.slo: d for d in report.policy.slos}
    assert decided["api-availability"].step == "fast-burn"  # 25% errors burn 250x over the last hour
    registry.register(SLOStateCollector(monitor))
    text = generate_latest(registry).decode()
    assert f'{c.SLO_POLICY_ACTION}{{action="freeze_all",slo="api-availability",step="fast-burn"}} 3.0' in text
    assert f'{c.SLO_EXHAUSTION}{{slo="api-availability"}} 0.0' in text
