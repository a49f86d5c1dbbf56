"""Table tests for the pure engine: known inputs, known answers."""

from __future__ import annotations

import json

import pytest

from slo.engine import evaluate, plan
from slo.engine.histogram import quantile, share_at_most
from slo.load import load_spec
from slo.sources.drills import DrillRecord, drill_series
from slo.sources.series import Series, answer, counter_increase
from tests.slo.builders import counters, ratio_spec, steady

NOW = 1_750_000_000.0  # a Monday, 15:06:40 UTC
DAY = 86400.0
MINUTES_3D = 3 * 24 * 60


@pytest.mark.parametrize(
    ("buckets", "q", "expected"),
    [
        pytest.param({"0.1": 50, "0.3": 100, "+Inf": 100}, 0.95, 0.28, id="p95 interpolates inside its bucket"),
        pytest.param({"0.1": 90, "1.0": 95, "+Inf": 100}, 0.99, 1.0, id="p99 in the +Inf bucket is the top bound"),
        pytest.param({"0.5": 100, "+Inf": 100}, 0.5, 0.25, id="the first bucket starts at zero"),
        pytest.param({"0.1": 0, "+Inf": 0}, 0.95, None, id="no observations give no percentile"),
        pytest.param({"0.1": 60, "0.2": 55, "+Inf": 100}, 0.5, 0.1 * 50 / 60, id="non-monotonic buckets even out"),
        pytest.param(
            {"0.25": 10, "0.5": 10, "1.0": 30, "+Inf": 40}, 0.5, 0.5 + 0.5 * 10 / 20, id="p50 skips an empty bucket"
        ),
    ],
)
def test_percentile_from_buckets(buckets: dict[str, float], q: float, expected: float | None) -> None:
    assert quantile(q, buckets) == (pytest.approx(expected) if expected is not None else None)


def test_share_under_a_bucket_bound_is_that_bucket_over_all() -> None:
    assert share_at_most(0.3, {"0.1": 50, "0.3": 96, "+Inf": 100}) == pytest.approx(0.96)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        pytest.param(((0, 0), (60, 10), (120, 25)), 25, id="increase is last minus baseline"),
        pytest.param(((0, 0), (60, 10), (120, 4), (180, 9)), 19, id="a counter reset still counts every event"),
        pytest.param(((90, 5), (120, 8)), 8, id="a series born inside the window counts from zero"),
    ],
)
def test_counter_increase(points: tuple[tuple[float, float], ...], expected: float) -> None:
    assert counter_increase(points, 30, 180) == expected


@pytest.mark.parametrize(
    ("per_minute", "sli", "budget_left"),
    [
        pytest.param(
            steady(60, 100, 10) + steady(60, 900, 0),
            0.99,
            0.5,
            id="budget uses bad over total when traffic is uneven",
        ),
        pytest.param(
            steady(60, 900, 9) + steady(60, 100, 10),
            1 - 1140 / 60000,
            1 - (1140 / 60000) / 0.02,
            id="a busy hour at 1 percent errors outweighs a quiet hour at 10 percent",
        ),
        pytest.param(steady(120, 100, 4), 0.96, -1.0, id="a spent budget goes negative"),
    ],
)
def test_error_budget(per_minute: list[tuple[float, float]], sli: float, budget_left: float) -> None:
    spec = ratio_spec(target=0.98, window="2h")
    series = counters(NOW, per_minute)
    report = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW)
    result = report.slos[0]
    assert result.sli == pytest.approx(sli)
    assert result.error_budget_remaining == pytest.approx(budget_left)
    assert result.window_result("2h").total == sum(t for t, _ in per_minute)


def _tail(minutes: int, share: float, total: float = 1000.0) -> list[tuple[float, float]]:
    """Clean traffic for three days, then `share` errors for the last `minutes`."""
    return steady(MINUTES_3D - minutes, total, 0) + steady(minutes, total, total * share)


@pytest.mark.parametrize(
    ("per_minute", "firing"),
    [
        pytest.param(_tail(70, 0.20), {"critical"}, id="critical fires on 20x burn over the last 70 minutes"),
        pytest.param(_tail(360, 0.08), {"high"}, id="high fires alone on 8x burn over six hours"),
        pytest.param(_tail(1440, 0.04), {"medium", "low"}, id="medium fires on 4x burn for a day and low with it"),
        pytest.param(_tail(MINUTES_3D, 0.015), {"low"}, id="low fires alone on 1.5x burn for three days"),
        pytest.param(_tail(MINUTES_3D, 0.005), set(), id="nothing fires below 1x burn"),
        pytest.param(_tail(70, 0.10), set(), id="critical does not fire at 10x burn"),
        pytest.param(
            _tail(70, 0.20)[:-10] + steady(10, 1000, 0),
            set(),
            id="critical needs the short window too: a burst that stopped 10 minutes ago does not page",
        ),
        pytest.param(
            steady(MINUTES_3D - 60, 0, 0) + steady(60, 1, 0.5),
            set(),
            id="the low-traffic guard holds back alerts on 50 percent errors over 60 requests",
        ),
    ],
)
def test_burn_rate_tiers(per_minute: list[tuple[float, float]], firing: set[str]) -> None:
    spec = ratio_spec(target=0.99, min_events=100)
    report = evaluate(spec, answer(plan(spec, NOW), counters(NOW, per_minute), NOW), NOW)
    assert {a.tier for a in report.slos[0].alerts if a.firing} == firing


def test_low_traffic_is_reported_as_such() -> None:
    spec = ratio_spec(min_events=100)
    series = counters(NOW, steady(60, 1, 0.5))
    result = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW).slos[0]
    assert result.status == "low_traffic"
    assert all("fewer than 100" in a.detail for a in result.alerts)


def _drill(age_days: float, rto: float = 600, rpo: float = 60, ok: bool = True) -> DrillRecord:
    return DrillRecord("restore_drill", NOW - age_days * DAY, ok, rto_seconds=rto, rpo_seconds=rpo)


def _backup(age_hours: float) -> DrillRecord:
    return DrillRecord("backup", NOW - age_hours * 3600, True, duration_seconds=12)


@pytest.mark.parametrize(
    ("records", "firing"),
    [
        pytest.param([_drill(1), _backup(1)], set(), id="a fresh fast drill and a recent backup fire nothing"),
        pytest.param(
            [_drill(1, rto=1800), _backup(1)],
            {("restore-time", "objective", "critical")},
            id="a 30 minute restore breaks only the critical RTO",
        ),
        pytest.param(
            [_drill(1, rto=7200), _backup(1)],
            {("restore-time", "objective", "critical"), ("restore-time", "objective", "high")},
            id="a two hour restore breaks the critical and high RTO",
        ),
        pytest.param(
            [_drill(1, rpo=5 * 3600), _backup(1)],
            {("data-loss-window", "objective", t) for t in ("critical", "high", "medium")},
            id="five hours of data loss breaks every RPO tier but low",
        ),
        pytest.param(
            [_drill(9), _backup(1)],
            {("restore-time", "stale", "high"), ("data-loss-window", "stale", "high")},
            id="a drill older than eight days is stale",
        ),
        pytest.param(
            [_drill(1, ok=False), _backup(1)], {("restore-time", "failed", "high")}, id="a failed drill fires"
        ),
        pytest.param(
            [_backup(1)],
            {("restore-time", "stale", "high"), ("data-loss-window", "stale", "high")},
            id="no drill at all is stale evidence",
        ),
        pytest.param(
            [_drill(1), _backup(30)], {("backup-age", "objective", "high")}, id="a 30 hour old backup is stale"
        ),
        pytest.param(
            [_drill(1)], {("backup-age", "objective", "high")}, id="no backup at all counts as infinitely old"
        ),
    ],
)
def test_recovery_objectives(records: list[DrillRecord], firing: set[tuple[str, str, str]]) -> None:
    spec = load_spec()
    report = evaluate(spec, answer(plan(spec, NOW), drill_series(records, NOW), NOW), NOW)
    got = {(a.slo, a.kind, a.tier) for g in report.recovery for a in g.alerts if a.firing}
    assert got == firing


def _http(minutes: int, per_minute: float, error_share: float, seconds: float) -> list[Series]:
    out = counters(NOW, steady(minutes, per_minute, per_minute * error_share))
    start = NOW - 60 * minutes
    points = [(start + 60 * i, per_minute * seconds * i) for i in range(minutes + 1)]
    out.append(Series.of("http_server_request_duration_seconds_sum", {}, points))
    return out


@pytest.mark.parametrize(
    ("series", "triggered"),
    [
        pytest.param(
            _http(20, 100, 0.06, 0.1), {"rollback-error-rate"}, id="6 percent errors for 15 minutes roll back"
        ),
        pytest.param(_http(20, 100, 0.04, 0.1), set(), id="4 percent errors do not roll back"),
        pytest.param(
            counters(NOW, steady(10, 100, 0) + steady(5, 100, 12)),
            set(),
            id="a 5 minute spike of 12 percent averages under 5 percent over 15 minutes",
        ),
        pytest.param(_http(20, 3, 0.5, 0.1), set(), id="too few requests to trigger a rollback"),
    ],
)
def test_rollback_triggers(series: list[Series], triggered: set[str]) -> None:
    spec = load_spec()
    report = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW)
    assert {r.name for r in report.rollback if r.firing} == triggered


def _process(cpu_per_second: float, memory_share: float, rps: float, avg: float) -> list[Series]:
    inst = {"instance": "app-1:8000"}
    minutes = 10
    start = NOW - 60 * minutes

    def line(name: str, per_second: float) -> Series:
        return Series.of(name, inst, [(start + 60 * i, per_second * 60 * i) for i in range(minutes + 1)])

    return [
        line("process_cpu_seconds_total", cpu_per_second),
        Series.of("process_resident_memory_bytes", inst, [(NOW, memory_share * 1e9)]),
        Series.of("todochat_process_memory_limit_bytes", inst, [(NOW, 1e9)]),
        line("http_server_request_duration_seconds_count", rps),
        line("http_server_request_duration_seconds_sum", rps * avg),
    ]


@pytest.mark.parametrize(
    ("series", "signals"),
    [
        pytest.param(_process(0.2, 0.5, 100, 0.1), set(), id="a calm instance holds"),
        pytest.param(_process(0.7, 0.5, 100, 0.1), {"cpu"}, id="70 percent CPU scales out"),
        pytest.param(_process(0.2, 0.85, 100, 0.1), {"memory"}, id="85 percent of the memory limit scales out"),
        pytest.param(_process(0.2, 0.5, 1200, 0.1), {"request_rate"}, id="1200 requests a second scale out"),
        pytest.param(_process(0.2, 0.5, 50, 2.5), {"response_time"}, id="2.5 s average response time scales out"),
    ],
)
def test_scaling_recommendations(series: list[Series], signals: set[str]) -> None:
    spec = load_spec()
    report = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW)
    assert {s.name for s in report.scaling if s.firing} == signals
    assert report.scale_out == bool(signals)


def test_report_is_json_and_names_the_worst_tier() -> None:
    spec = ratio_spec()
    report = evaluate(spec, answer(plan(spec, NOW), counters(NOW, _tail(70, 0.2)), NOW), NOW)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["worst_tier"] == "critical"
    assert "SLOErrorBudgetBurn:availability:critical" in data["firing"]
