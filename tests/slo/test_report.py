"""The SLO report's model, charts and pages, from series in memory (the real-Prometheus run is tests/browser)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo.cli import slo_cli
from slo.engine import evaluate, plan
from slo.engine.queries import Query
from slo.model import Spec
from slo.report_charts import charts
from slo.report_model import (
    AlertEpisode,
    AlertSamples,
    RangeAnswers,
    SLOReport,
    Span,
    build_report,
    choose_step,
    episodes,
)
from slo.report_render import html, markdown
from slo.sources.series import Series, answer
from tests.slo.builders import counters, ratio_spec, steady
from tests.support import free_port

POLICY = """
policy:
  steps:
    - {name: budget-spent, when: {budgetRemainingAtMost: 0}, action: freeze_all, reason: The budget is spent.}
    - {name: burning, when: {burnRateAbove: 2, window: 1h}, action: notify, reason: Burning fast.}
"""
NOW = 1_800_000_000.0
ALERT = (("alertname", "SLOErrorBudgetBurn"), ("severity", "high"), ("slo", "availability"), ("window", "6h"))


@pytest.mark.parametrize(
    ("seconds", "step"),
    [(3600, 60), (86400, 600), (7 * 86400, 3600), (30 * 86400, 3 * 3600), (10 * 365 * 86400, 86400)],
    ids=["an hour by minutes", "a day by 10 minutes", "a week by hours", "a month by 3 hours", "years by days"],
)
def test_the_step_draws_a_range_in_at_most_240_points(seconds: int, step: int) -> None:
    assert choose_step(seconds) == step


def test_the_span_steps_back_from_its_end_so_the_end_is_always_drawn() -> None:
    span = Span(1000.0, 4500.0, 1000.0)
    assert span.times == (1500.0, 2500.0, 3500.0, 4500.0)
    assert Span(0.0, 3000.0, 1000.0).times == (0.0, 1000.0, 2000.0, 3000.0)


SPAN = Span(0.0, 10_000.0, 1000.0)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        pytest.param(
            AlertSamples(ALERT, (3000.0, 4000.0, 5000.0), ((3000.0, 2400.0), (4000.0, 2400.0))),
            [(2400.0, 5000.0, False)],
            id="consecutive firing steps are one episode that starts when the alert went active",
        ),
        pytest.param(
            AlertSamples(ALERT, (2000.0, 3000.0, 7000.0)),
            [(1000.0, 3000.0, False), (6000.0, 7000.0, False)],
            id="a gap of more than a step splits episodes; without ALERTS_FOR_STATE one starts a step early",
        ),
        pytest.param(
            AlertSamples(ALERT, (9000.0, 10_000.0), ((9000.0, 8700.0),)),
            [(8700.0, 10_000.0, True)],
            id="an alert firing at the last step is still firing",
        ),
        pytest.param(
            AlertSamples(ALERT, (5000.0,), ((5000.0, 9999.0),)),
            [(4000.0, 5000.0, False)],
            id="an active-since after the step it is read at is ignored",
        ),
    ],
)
def test_alert_steps_join_into_episodes(samples: AlertSamples, expected: list[tuple[float, float, bool]]) -> None:
    found = episodes([samples], SPAN)
    assert [(e.start, e.end, e.ongoing) for e in found] == expected
    assert {(e.name, e.slo, e.tier) for e in found} == {("SLOErrorBudgetBurn", "availability", "high")}
    assert all(e.labels == (("severity", "high"), ("window", "6h")) for e in found)


Burst = tuple[Spec, list[Series], SLOReport]


def _answers(spec_series: list[Series], span: Span, queries: list[Query]) -> RangeAnswers:
    values: dict[Query, dict[float, Mapping[str, float]]] = {}
    for at in span.times:
        for q, groups in answer(queries, spec_series, at).items():
            if groups:
                values.setdefault(q, {})[at] = groups
    return RangeAnswers(values)


@pytest.fixture(scope="module")
def burst_report() -> Burst:
    """Three days at 0.1% errors, then six hours at 20%: a budget that burns down and a policy that freezes."""
    spec = ratio_spec(extra=POLICY)
    series = counters(NOW, steady(3 * 24 * 60, 1000, 1) + steady(6 * 60, 1000, 200))
    span = Span(NOW - 2 * 86400, NOW, 3600)
    queries = plan(spec, NOW)
    alert = AlertSamples(
        ALERT, (NOW - 3 * 3600, NOW - 2 * 3600, NOW - 3600, NOW), ((NOW - 3 * 3600, NOW - 3 * 3600 - 120),)
    )
    report = build_report(spec, span, _answers(series, span, queries), [alert])
    return spec, series, report


def test_each_step_of_the_report_is_the_engines_evaluation_at_that_moment(burst_report: Burst) -> None:
    spec, series, report = burst_report
    (history,) = report.slos
    for i in (0, 24, len(report.span.times) - 1):
        at = report.span.times[i]
        engine = evaluate(spec, answer(plan(spec, at), series, at), at).slos[0]
        assert history.sli[i] == engine.sli
        assert history.budget_remaining[i] == engine.error_budget_remaining
        assert history.time_to_exhaustion[i] == engine.time_to_exhaustion
    assert history.final.slo == "availability"


def test_the_budget_burns_down_and_the_policy_moves_to_freeze_all(burst_report: Burst) -> None:
    _, _, report = burst_report
    (history,) = report.slos
    left = [v for v in history.budget_remaining if v is not None]
    assert left == sorted(left, reverse=True)
    assert left[-1] < 0 < left[0]
    assert report.actions[0] == "none"
    assert report.actions[-1] == "freeze_all"
    assert report.decision is not None
    assert (report.decision.slo, report.decision.step) == ("availability", "budget-spent")
    assert report.thresholds == (("budget-spent", 0.0),)
    assert [a.slo for a in history.alerts] == ["availability"]


def test_every_chart_has_points_and_a_series_group(burst_report: Burst) -> None:
    _, _, report = burst_report
    drawn = charts(report)
    assert [c.key for c in drawn] == [
        "policy",
        "alerts",
        "sli-availability",
        "budget-availability",
        "exhaustion-availability",
    ]
    for chart in drawn:
        assert chart.points > 0, chart.key
        assert chart.svg.startswith("<svg")
        assert 'id="series-' in chart.svg, chart.key
    ids = [i for c in drawn for i in re.findall(r'id="([^"]+)"', c.svg)]
    assert len(ids) == len(set(ids)), "ids repeat across charts of one page"


def test_an_slo_without_events_says_so_instead_of_drawing_an_empty_chart() -> None:
    spec = ratio_spec(extra=POLICY)
    span = Span(NOW - 86400, NOW, 3600)
    report = build_report(spec, span, RangeAnswers({}), [])
    assert [c.key for c in charts(report)] == ["policy"]
    page = html(report, charts(report))
    assert "No events for this SLO in the range: nothing to chart." in page
    assert "No alert fired in this range." in page


def test_the_page_carries_every_chart_inline_and_escapes_what_it_prints(burst_report: Burst) -> None:
    _, _, report = burst_report
    drawn = charts(report)
    page = html(report, drawn, "http://prom<1>:9090")
    assert page.count('<figure class="chart"') == len(drawn) == page.count("<svg")
    assert "http://prom&lt;1&gt;:9090" in page
    assert "<script" not in page
    assert 'data-points="' in page
    assert "Budget policy: <strong>freeze_all</strong>" in page


def test_markdown_links_each_chart_to_a_file_in_the_charts_folder(burst_report: Burst) -> None:
    _, _, report = burst_report
    drawn = charts(report)
    text, files = markdown(report, drawn, "weekly-charts")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == list(files) == [f"weekly-charts/{c.key}.svg" for c in drawn]
    assert "| availability |" in text


def test_an_episode_knows_how_long_it_lasted() -> None:
    episode = AlertEpisode("A", "s", "low", (), 100.0, 700.0, ongoing=False)
    assert episode.seconds == 600.0


def test_the_command_says_when_prometheus_is_unreachable(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(slo_cli, ["report", "--prometheus", f"http://127.0.0.1:{free_port()}", "-o", str(out)])
    assert result.exit_code == 69
    assert "cannot reach Prometheus" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--since", "a week"], "is not a duration"),
        (["--step", "0s"], "must be longer than zero"),
        (["--format", "pdf"], "neither html nor markdown"),
    ],
    ids=["a since that is no duration", "a zero step", "an unknown format"],
)
def test_the_command_refuses_bad_options_before_asking_prometheus(tmp_path: Path, args: list[str], said: str) -> None:
    base = ["report", "--prometheus", f"http://127.0.0.1:{free_port()}", "-o", str(tmp_path / "r.html")]
    result = CliRunner().invoke(slo_cli, [*base, *args])
    assert result.exit_code == 2
    assert said in result.output
