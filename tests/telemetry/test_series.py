"""A process that has just started already exposes, at zero, every series the SLOs and alert rules select."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.mcp.server import build_mcp_server
from telemetry import conventions as c
from tests.telemetry.processes import base_env, running
from tests.telemetry.test_metrics import OPENMETRICS, samples


def test_a_fresh_server_exposes_its_error_series_at_zero_before_any_error(sqlite_url: str, tmp_path: Path) -> None:
    env = base_env(DATABASE_URL=sqlite_url, SECRET_KEY="a-test-secret-of-at-least-32-characters")
    with running(["serve", "--no-migrate"], env, tmp_path / "serve.log") as process:
        found = samples(httpx.get(process.url + "/metrics", headers={"Accept": OPENMETRICS}, timeout=10).text)
        again = samples(httpx.get(process.url + "/metrics", headers={"Accept": OPENMETRICS}, timeout=10).text)
    count = f"{c.HTTP_SERVER_DURATION}_count"

    def value(**labels: str) -> float | None:
        matching = [s.value for s in found[count] if all(s.labels.get(k) == v for k, v in labels.items())]
        assert len(matching) <= 1, labels
        return matching[0] if matching else None

    for route, method in [
        ("/api/v1/tasks", "GET"),
        ("/api/v1/tasks/{task_id}", "PATCH"),
        ("/api/v1/chat", "POST"),
        ("/api/v1/auth/login", "POST"),
        ("/health/ready", "GET"),
        ("/mcp/{path}", "POST"),
    ]:
        for status_class in ("2xx", "5xx"):
            labels = {c.LABEL_ROUTE: route, c.LABEL_METHOD: method, c.LABEL_STATUS_CLASS: status_class}
            assert value(**labels) == 0, labels
    assert value(**{c.LABEL_ROUTE: "/health", c.LABEL_METHOD: "GET", c.LABEL_STATUS_CLASS: "2xx"}) >= 1  # type: ignore[operator]
    assert value(**{c.LABEL_ROUTE: "/api/v1/tasks", c.LABEL_METHOD: "HEAD"}) is None  # bounded: no HEAD
    scrapes = [
        s.value
        for s in again[count]
        if s.labels[c.LABEL_ROUTE] == "/metrics" and s.labels[c.LABEL_STATUS_CLASS] == "2xx"
    ]
    assert scrapes == [1.0]  # the first scrape, under its own route: not an unmatched request
    assert value(**{c.LABEL_ROUTE: "/openapi.json", c.LABEL_METHOD: "GET"}) is None  # not an objective's
    assert len(found[count]) < 80  # bounded: about 31 route-methods x 2 status classes

    tools = {(s.labels[c.LABEL_TOOL], s.labels[c.LABEL_OUTCOME]) for s in found[f"{c.TOOL_CALL_DURATION}_count"]}
    assert tools == {(t, o) for t in (*c.TOOL_NAMES, c.TOOL_UNKNOWN) for o in c.OUTCOMES}
    assert all(s.value == 0 for s in found[f"{c.TOOL_CALL_DURATION}_count"])
    gen_ai = {s.labels[c.LABEL_ERROR_TYPE]: s.value for s in found[f"{c.GEN_AI_OPERATION_DURATION}_count"]}
    assert gen_ai == dict.fromkeys(("", *c.GEN_AI_ERROR_TYPES), 0.0)
    assert {s.labels[c.LABEL_OUTCOME] for s in found[f"{c.CHAT_TURN_DURATION}_count"]} == set(c.OUTCOMES)


async def test_the_tool_names_telemetry_knows_are_the_tools_the_mcp_server_offers() -> None:
    server = build_mcp_server(lambda: None)  # type: ignore[arg-type,return-value]  # listing needs no runtime
    offered = {tool.name for tool in await server.list_tools()}
    assert offered == set(c.TOOL_NAMES)
