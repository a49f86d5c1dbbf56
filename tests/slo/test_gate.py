"""Load-gate thresholds from the spec, checked on recorded Locust stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slo.engine.gate import EndpointWindow, GateThresholds, Latencies, check_load
from slo.errors import SourceError
from slo.load import load_spec
from slo.sources.locust import endpoint_windows, parse_locust_json, read_locust_csv


def _entry(name: str, method: str, times: dict[str, int], fails: int, start: int = 100) -> dict[str, object]:
    count = sum(times.values())
    per_sec = {str(start + i): count // 10 for i in range(10)}
    fail_sec = {str(start + i): fails // 10 for i in range(10)}
    return {
        "name": name,
        "method": method,
        "num_requests": count,
        "num_failures": fails,
        "response_times": times,
        "num_reqs_per_sec": per_sec,
        "num_fail_per_sec": fail_sec,
        "last_request_timestamp": start + 10,
        "start_time": start,
    }


def test_thresholds_come_from_the_spec() -> None:
    limits = GateThresholds.from_spec(load_spec(), min_requests_per_second=50)
    assert ("*", 0.95, 0.3) in limits.percentiles
    assert ("*", 0.99, 1.0) in limits.percentiles
    assert limits.for_endpoint("/api/v1/chat") == ()  # chat is judged by the chat-turn SLO, not the API one
    assert limits.max_error_ratio == pytest.approx(0.001)
    assert limits.rollback_error_ratio == 0.05
    assert limits.max_average_seconds == 2


@pytest.mark.parametrize(
    ("times", "fails", "kinds"),
    [
        pytest.param({"20": 900, "120": 100}, 0, (), id="a fast clean run passes"),
        pytest.param({"20": 900, "450": 100}, 0, ("latency",), id="a slow tail breaks P95"),
        pytest.param({"20": 1000}, 100, ("errors", "rollback"), id="ten percent errors break the rollback rule"),
        pytest.param({"20": 1000}, 20, ("errors",), id="two percent errors break only the error budget"),
        pytest.param({"20": 100}, 0, ("throughput",), id="too few requests a second fail throughput"),
    ],
)
def test_gate_breaches_by_kind(times: dict[str, int], fails: int, kinds: tuple[str, ...]) -> None:
    stats = parse_locust_json(json.dumps([_entry("/api/v1/tasks", "GET", times, fails)]))
    windows = endpoint_windows(stats, start=100, end=110)
    result = check_load(windows, 10.0, GateThresholds.from_spec(load_spec(), min_requests_per_second=50))
    assert result.breach_kinds == kinds
    assert result.passed == (not kinds)


def test_a_snapshot_at_steady_state_start_excludes_ramp_up_latencies() -> None:
    ramp = parse_locust_json(json.dumps([_entry("/api/v1/tasks", "GET", {"3000": 50}, 0)]))
    end = parse_locust_json(json.dumps([_entry("/api/v1/tasks", "GET", {"3000": 50, "20": 1000}, 0)]))
    (window,) = endpoint_windows(end, ramp)
    assert window.latencies.count == 1000
    assert window.latencies.percentile(0.99) == 0.02
    assert window.requests == 1000


def test_percentiles_on_raw_samples_use_nearest_rank() -> None:
    lat = Latencies.of_samples([0.1] * 94 + [0.5] * 6)
    assert lat.percentile(0.95) == 0.5
    assert lat.percentile(0.94) == 0.1
    result = check_load([EndpointWindow("/x", "GET", 100, 0, lat)], 1.0, GateThresholds((("*", 0.95, 0.3),), 1, 1, 9))
    assert result.breach_kinds == ("latency",)


def test_locust_csv_stats_are_read(tmp_path: Path) -> None:
    path = tmp_path / "run_stats.csv"
    path.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
        "Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        "GET,/api/v1/tasks,1000,3,20,25.5,5,900,120,99.5,0.3,20,22,25,27,40,60,90,120,400,800,900\n"
        ",Aggregated,1000,3,20,25.5,5,900,120,99.5,0.3,20,22,25,27,40,60,90,120,400,800,900\n"
    )
    rows = read_locust_csv(path)
    assert rows[0].percentiles_ms["95%"] == 60
    assert rows[1].name == "Aggregated"


def test_broken_locust_json_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="not Locust JSON stats"):
        parse_locust_json("[{}]", "stats.json")
