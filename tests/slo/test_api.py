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
    assert {r["slo"] for r in body["recovery"]} == {"restore-time", "data-loss-window", "backup-age"}


def test_slo_gauges_are_exported_with_the_metrics() -> None:
    app = FastAPI()
    install(app)
    metrics.http_server_duration.labels("/api/v1/slo-gauge-route", "GET", "2xx").observe(0.01)
    text = generate_latest(REGISTRY).decode()
    assert f'{c.SLO_ERROR_BUDGET_REMAINING}{{slo="api-availability"}}' in text
    assert f'{c.SLO_BURN_RATE}{{slo="api-availability",window="5m"}}' in text
    assert f'{c.SLO_SLI}{{slo="api-availability"}}' in text
