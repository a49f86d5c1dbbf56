"""GET /metrics after real traffic: every metric present with sane values, exemplars, and promtool is content."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest
from opentelemetry.trace import SpanContext, TraceFlags
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from slo.load import spec_from_text
from slo.rules import slo_group
from telemetry import conventions as c
from telemetry import metrics
from tests.conftest import signup

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


async def make_traffic(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    created = await client.post("/api/v1/tasks", headers=headers, json={"title": "water the plants"})
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert (await client.get(f"/api/v1/tasks/{task_id}", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/tasks/987654321", headers=headers)).status_code == 404
    assert (await client.get("/no/such/page/42")).status_code == 404
    chat = await client.post("/api/v1/chat", headers=headers, json={"message": "add a task to call mum"}, timeout=60)
    assert chat.status_code == 200, chat.text


def samples(text: str) -> dict[str, list[Sample]]:
    by_name: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            by_name.setdefault(sample.name, []).append(sample)
    return by_name


def total(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matching = [s for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert matching, f"no {name} sample with {labels}"
    return sum(s.value for s in matching)


async def test_metrics_after_traffic_cover_http_chat_tools_database_and_process(client: httpx.AsyncClient) -> None:
    await make_traffic(client)
    response = await client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    found = samples(response.text)

    http = f"{c.HTTP_SERVER_DURATION}_count"
    assert total(found, http, http_route="/api/v1/tasks/{task_id}", http_status_class="2xx") >= 1
    assert total(found, http, http_route="/api/v1/tasks/{task_id}", http_status_class="4xx") >= 1
    assert total(found, http, http_route=c.ROUTE_UNMATCHED, http_status_class="4xx") >= 1
    assert total(found, http, http_route="/api/v1/chat", http_request_method="POST") >= 1
    routes = {s.labels[c.LABEL_ROUTE] for s in found[http]}
    assert not any(re.search(r"/\d+(/|$)", route) for route in routes), routes  # templates, never raw ids
    buckets = found[f"{c.HTTP_SERVER_DURATION}_bucket"]
    exemplars = [s.exemplar for s in buckets if s.exemplar is not None]
    assert exemplars, "latency buckets carry trace-id exemplars"
    assert all(len(e.labels["trace_id"]) == 32 for e in exemplars)
    assert total(found, c.HTTP_SERVER_ACTIVE_REQUESTS) == 1  # this scrape alone: every request before it left

    assert total(found, f"{c.GEN_AI_OPERATION_DURATION}_count", gen_ai_operation_name="chat") >= 2
    assert total(found, f"{c.GEN_AI_TOKEN_USAGE}_sum", gen_ai_token_type="input") > 0
    assert total(found, f"{c.GEN_AI_TOKEN_USAGE}_sum", gen_ai_token_type="output") > 0
    assert total(found, f"{c.TOOL_CALL_DURATION}_count", gen_ai_tool_name="add_task", outcome="ok") >= 1
    assert total(found, f"{c.MCP_SERVER_OPERATION_DURATION}_count", gen_ai_tool_name="add_task") >= 1
    assert total(found, c.CHAT_MESSAGES, role="user") >= 1
    assert total(found, c.CHAT_MESSAGES, role="assistant") >= 1
    assert total(found, f"{c.CHAT_TURN_DURATION}_count") >= 1
    assert total(found, c.CHAT_TURNS_IN_FLIGHT) == 0
    assert total(found, c.CHAT_ACTIVE_CONVERSATIONS) >= 1

    assert total(found, c.DB_POOL_SIZE) >= 1
    assert total(found, c.DB_POOL_CHECKED_OUT) >= 0
    assert total(found, c.DB_POOL_OVERFLOW) >= 0
    assert total(found, f"{c.DB_POOL_WAIT}_count") >= 1

    assert total(found, c.PROCESS_CPU) > 0
    assert total(found, c.PROCESS_RESIDENT_MEMORY) > 10_000_000
    assert total(found, c.PROCESS_MEMORY_LIMIT) >= total(found, c.PROCESS_RESIDENT_MEMORY)


async def test_metrics_without_an_openmetrics_accept_header_are_the_prometheus_text_format(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert f"# TYPE {c.HTTP_SERVER_DURATION} histogram" in response.text


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (make system-tools)")
async def test_promtool_finds_nothing_to_complain_about_in_the_exposition(client: httpx.AsyncClient) -> None:
    await make_traffic(client)
    text = (await client.get("/metrics")).text
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert not (result.stdout + result.stderr).strip(), (result.stdout + result.stderr).decode()


@pytest.mark.parametrize(
    "seconds",
    [0.0, 0.001, c.HTTP_DURATION_BUCKETS[3], c.HTTP_DURATION_BUCKETS[3] + 1e-9, c.HTTP_DURATION_BUCKETS[-1], 1e9,
     float("inf"), -1.0, float("nan")],
    ids=["zero", "a millisecond", "on a bound", "just above a bound", "on the last bound", "above every bound",
         "infinity", "negative", "not a number"],
)  # fmt: skip
def test_the_fast_latency_path_records_what_histogram_observe_records(seconds: float) -> None:
    registry = CollectorRegistry()
    fast, reference = (
        Histogram(name, "d", ["route"], buckets=c.HTTP_DURATION_BUCKETS, registry=registry)
        for name in ("fast_seconds", "reference_seconds")
    )
    sampled = SpanContext(0xAB << 64, 0xCD, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    exemplar = {c.EXEMPLAR_TRACE_ID: format(0xAB << 64, "032x")}
    for _ in range(2):
        metrics.observe_latency(fast.labels("/api/v1/tasks"), seconds, sampled)
        reference.labels("/api/v1/tasks").observe(seconds, exemplar=exemplar)

    def recorded(name: str) -> list[tuple[str, dict[str, str], str, object]]:
        family = next(f for f in registry.collect() if f.name == name)
        return [
            (s.name.removeprefix(name), s.labels, repr(s.value), s.exemplar and (s.exemplar.labels, s.exemplar.value))
            for s in family.samples
            if not s.name.endswith("_created")
        ]

    assert recorded("fast_seconds") == recorded("reference_seconds")


def test_a_buckets_exemplar_is_replaced_at_most_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    histogram = Histogram("exemplary_seconds", "d", buckets=(1.0,), registry=CollectorRegistry())
    now = [1000.0]
    monkeypatch.setattr(metrics.time, "time", lambda: now[0])

    def trace(n: int) -> SpanContext:
        return SpanContext(n, 1, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))

    def shown() -> tuple[str, float] | None:
        (bucket,) = [
            s for s in histogram.collect()[0].samples if s.name.endswith("_bucket") and s.labels["le"] == "1.0"
        ]
        return bucket.exemplar and (bucket.exemplar.labels[c.EXEMPLAR_TRACE_ID], bucket.exemplar.value)

    unsampled = SpanContext(9, 1, is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT))
    metrics.observe_latency(histogram, 0.5, unsampled)
    metrics.observe_latency(histogram, 0.5, None)
    assert shown() is None  # no sampled trace to open
    metrics.observe_latency(histogram, 0.1, trace(1))
    now[0] += 0.5
    metrics.observe_latency(histogram, 0.2, trace(2))
    assert shown() == (format(1, "032x"), 0.1)  # kept: replaced at most once a second
    now[0] += metrics.EXEMPLAR_EVERY_SECONDS
    metrics.observe_latency(histogram, 0.3, trace(3))
    assert shown() == (format(3, "032x"), 0.3)
    (count,) = [s.value for s in histogram.collect()[0].samples if s.name == "exemplary_seconds_count"]
    assert count == 5  # every observation counted, exemplar or not


def test_a_clock_stepped_back_does_not_freeze_exemplars(monkeypatch: pytest.MonkeyPatch) -> None:
    histogram = Histogram("stepped_seconds", "d", buckets=(1.0,), registry=CollectorRegistry())
    now = [5000.0]
    monkeypatch.setattr(metrics.time, "time", lambda: now[0])
    sampled = TraceFlags(TraceFlags.SAMPLED)
    metrics.observe_latency(histogram, 0.1, SpanContext(1, 1, is_remote=False, trace_flags=sampled))
    now[0] -= 3600  # NTP, or a VM resumed
    metrics.observe_latency(histogram, 0.2, SpanContext(2, 1, is_remote=False, trace_flags=sampled))
    (bucket,) = [s for s in histogram.collect()[0].samples if s.name.endswith("_bucket") and s.labels["le"] == "1.0"]
    assert bucket.exemplar is not None
    assert bucket.exemplar.labels[c.EXEMPLAR_TRACE_ID] == format(2, "032x")


async def test_statement_time_is_recorded_by_operation_and_table_with_bounded_labels(
    client: httpx.AsyncClient,
) -> None:
    await make_traffic(client)
    found = samples((await client.get("/metrics", headers={"Accept": OPENMETRICS})).text)
    count = f"{c.DB_CLIENT_OPERATION_DURATION}_count"
    assert total(found, count, db_operation_name="INSERT", db_collection_name="tasks") >= 1
    assert total(found, count, db_operation_name="SELECT", db_collection_name="tasks") >= 1
    assert total(found, count, db_operation_name="SELECT", db_collection_name="users") >= 1
    operations = {s.labels[c.LABEL_DB_OPERATION] for s in found[count]}
    tables = {s.labels[c.LABEL_DB_COLLECTION] for s in found[count]}
    assert operations <= {*c.DB_OPERATIONS, c.DB_OPERATION_OTHER}
    assert len(tables) <= c.DB_TABLES_KEPT + 1
    assert all(t.isidentifier() and t == t.lower() for t in tables), tables


def test_a_p95_objective_on_statement_time_is_a_valid_spec() -> None:
    spec = spec_from_text(
        "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: t\nslos:\n"
        "  - name: db-statement-latency\n    indicator:\n      latencyPercentile:\n"
        f"        metric: {c.DB_CLIENT_OPERATION_DURATION}\n"
        "        filter: {db_operation_name: SELECT}\n        percentile: 0.95\n        threshold: 0.1\n"
    )
    (rule,) = [r for r in slo_group(spec.slos[0])["rules"] if r.get("record") == c.RULE_SLO_LATENCY][:1]
    assert f'{c.DB_CLIENT_OPERATION_DURATION}_bucket{{db_operation_name="SELECT"}}' in rule["expr"]
