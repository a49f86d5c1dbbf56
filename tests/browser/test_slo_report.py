"""`todochat slo report` read from a real Prometheus after a week of load, and the page opened in Chromium.

The week (a daily traffic cycle, a past incident, a latency shift, burns going on at the end) is backfilled with
promtool; Prometheus evaluates the generated rules, so the alerts the report lists are the ones it fired.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext
from typer.testing import CliRunner

from slo.catalog import HISTOGRAMS, format_le
from slo.cli import slo_cli
from slo.engine import evaluate, plan
from slo.generate import generated_files
from slo.load import load_spec
from slo.model import Spec
from slo.report_model import SLOReport, Span, build_report, choose_step, range_queries
from slo.sources.prometheus import PrometheusSource
from slo.sources.range import fetch_alerts, fetch_answers
from slo.sources.series import Series
from tests.slo.prometheus_server import openmetrics, running_prometheus

pytestmark = pytest.mark.slow

SPEC_PATH = Path(__file__).parents[1] / "slo" / "integration-spec.yaml"
HIST = "http_server_request_duration_seconds"
INSTANCE = {"instance": "app-1:8000"}
WEEK = 7 * 86400
FINE = 86400  # the last day one sample a minute (the 5-minute windows need two samples), before it one every 5
LATENCY = ((0.1, 0.90), (0.3, 0.06), (0.75, 0.035), (2.0, 0.005))
SLOW = ((0.3, 0.5), (0.75, 0.45), (2.0, 0.05))  # day five, for six hours
HOUR = 3600.0


def _erring(share: float, *spans: tuple[float, float, float]) -> Callable[[float], float]:
    """Error share at `ago` seconds before the end: `share`, or the share of a (from, to, share) span holding it."""

    def at(ago: float) -> float:
        return next((s for start, stop, s in spans if stop <= ago < start), share)

    return at


# route -> (requests a second, error share by seconds before the end)
ROUTES: dict[str, tuple[float, Callable[[float], float]]] = {
    "/r/critical": (16.0, _erring(0.001, (100 * 60, 0, 0.20), (5 * 86400, 5 * 86400 - HOUR, 0.30))),
    "/r/high": (16.0, _erring(0.001, (380 * 60, 0, 0.08))),
    "/r/medium": (16.0, _erring(0.001, (1460 * 60, 0, 0.04), (4 * 86400, 4 * 86400 - 2 * HOUR, 0.30))),
    "/r/low": (16.0, _erring(0.002, (3 * 86400, 0, 0.015))),
    "/r/quiet": (16.0, _erring(0.005)),
    "/r/sparse": (1 / 3600, _erring(0.5)),
}


def _times(end: float) -> list[float]:
    coarse = range(int(end - WEEK), int(end - FINE), 300)
    fine = range(int(end - FINE), int(end) + 1, 60)
    return [float(t) for t in (*coarse, *fine)]


def _daily(t: float) -> float:
    return 1 + 0.4 * math.sin(2 * math.pi * t / 86400)


def week_of_load(end: float) -> list[Series]:
    """Every series of the week up to `end`: counters from zero, gauges for the drills and the process."""
    times = _times(end)
    counts: dict[tuple[str, ...], list[tuple[float, float]]] = {}

    def add(key: tuple[str, ...], t: float, inc: float) -> None:
        points = counts.setdefault(key, [(times[0], 0.0)])
        points.append((t, points[-1][1] + inc))

    for before, t in itertools.pairwise(times):
        seconds, ago = t - before, end - t
        for route, (rate, share) in ROUTES.items():
            n = rate * _daily(t) * seconds
            add((route, "5xx"), t, n * share(ago))
            add((route, "2xx"), t, n * (1 - share(ago)))
        n = 10.0 * _daily(t) * seconds
        add(("latency", "count"), t, n)
        shares = SLOW if 2 * 86400 - 6 * HOUR <= ago < 2 * 86400 else LATENCY
        add(("latency", "sum"), t, n * sum(bound * s for bound, s in shares))
        for edge in (*HISTOGRAMS[HIST], math.inf):
            add(
                ("latency", "le", format_le(edge) if edge != math.inf else "+Inf"),
                t,
                n * sum(s for b, s in shares if b <= edge),
            )
        add(("cpu",), t, 0.5 * seconds)
    out = []
    for key, points in counts.items():
        if key[0].startswith("/r/"):
            labels = {**INSTANCE, "http_route": key[0], "http_status_class": key[1]}
            out.append(Series.of(f"{HIST}_count", labels, points))
        elif key[0] == "latency":
            labels = {**INSTANCE, "http_route": "/r/latency", "http_status_class": "2xx"}
            name = f"{HIST}_{key[1] if key[1] != 'le' else 'bucket'}"
            out.append(Series.of(name, {**labels, **({"le": key[2]} if key[1] == "le" else {})}, points))
        else:
            out.append(Series.of("process_cpu_seconds_total", INSTANCE, points))
    now = time.time()
    gauges = {
        "process_resident_memory_bytes": (0.9e9, INSTANCE),
        "todochat_process_memory_limit_bytes": (1e9, INSTANCE),
        "todochat_restore_drill_rto_seconds": (1800.0, {}),
        "todochat_restore_drill_last_run_timestamp_seconds": (now - 86400, {}),
        "todochat_restore_drill_success": (1.0, {}),
        "todochat_backup_last_success_timestamp_seconds": (now - 30 * 3600, {}),
    }
    out += [Series.of(name, labels, [(t, value) for t in times]) for name, (value, labels) in gauges.items()]
    return out


@dataclass
class Week:
    spec: Spec
    source: PrometheusSource
    out: Path
    html: Path
    markdown: Path
    report: SLOReport  # built the way the command builds it, at `report.span.end`
    held: set[tuple[str, str, str]]  # alerts Prometheus held firing when the report was made


def _firing(source: PrometheusSource) -> set[tuple[str, str, str]]:
    return {
        (a["labels"]["alertname"], a["labels"].get("slo", ""), a["labels"]["severity"])
        for a in source.alerts()
        if a["state"] == "firing"
    }


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Week]:
    work = tmp_path_factory.mktemp("week")
    spec = load_spec(SPEC_PATH)
    end = math.floor(time.time() / 60) * 60  # ends now: Prometheus records rule results only after its newest block
    rules = {k: v for k, v in generated_files(spec, "integration-spec.yaml").items() if k.endswith(".rules.yaml")}
    with running_prometheus(work, openmetrics(week_of_load(end)), rules) as source:
        held = _firing(source)
        for _ in range(60):  # Prometheus writes ALERTS from a group's second evaluation on (the first restores state)
            written = {
                (labels["alertname"], labels.get("slo", ""), labels["severity"])
                for labels, _ in source.query('ALERTS{alertstate="firing"}')
            }
            if written == held:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"Prometheus held {sorted(held)} but wrote ALERTS for {sorted(written)}")
        time.sleep(
            6
        )  # one more evaluation (5 s), so every alert has a sample before the whole second the report ends at
        out = work / "out"
        args = ["report", "--prometheus", source.url, "--spec", str(SPEC_PATH), "--since", "7d"]
        at = int(time.time())
        result = CliRunner().invoke(slo_cli, [*args, "--until", str(at), "-o", str(out / "report.html")])
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output
        md = CliRunner().invoke(slo_cli, [*args, "--until", str(at), "-o", str(out / "weekly.md")])
        assert md.exit_code == 0, md.output
        span = Span(at - WEEK, at, choose_step(WEEK))
        report = build_report(
            spec, span, fetch_answers(source, range_queries(spec, span), span), fetch_alerts(source, span)
        )
        assert _firing(source) == held, "the alerts changed while the report was made: the history ended too early"
        yield Week(spec, source, out, out / "report.html", out / "weekly.md", report, held)


def test_the_report_ends_where_slo_evaluate_stands_at_that_moment(week: Week) -> None:
    end = week.report.span.end
    now = evaluate(week.spec, week.source.answer(plan(week.spec, end), end), end)
    assert week.report.decision == now.policy
    for history in week.report.slos:
        engine = next(r for r in now.slos if r.slo == history.slo)
        assert history.final == engine
        assert history.sli[-1] == engine.sli
        assert history.time_to_exhaustion[-1] == engine.time_to_exhaustion
    assert week.report.decision is not None
    assert week.report.decision.action == "freeze_all"


def test_the_budget_burns_down_over_the_week_and_the_past_incident_shows(week: Week) -> None:
    medium = next(h for h in week.report.slos if h.slo == "burn-medium")
    known = [v for v in medium.budget_remaining if v is not None]
    assert len(known) >= 160  # a point an hour for a week
    assert known[-1] < known[0] - 0.5  # the incident and the last day spent most of what was left
    spent = medium.budget_spent
    assert spent is not None
    assert spent > 0.5
    dip = min(v for v in medium.sli_short if v is not None)
    assert dip < 0.75  # the hour of the incident, four days ago


def test_the_alerts_firing_at_the_end_are_the_ones_prometheus_held(week: Week) -> None:
    ongoing = {(a.name, a.slo, a.tier) for a in week.report.alerts if a.ongoing}
    assert ongoing == week.held
    assert ("SLOErrorBudgetBurn", "burst-critical", "critical") in ongoing
    assert ("ErrorBudgetExhaustionForecast", "burn-high", "medium") in ongoing
    critical = next(a for a in week.report.alerts if a.slo == "burst-critical" and a.tier == "critical")
    assert week.report.span.end - critical.start < 600  # active since Prometheus first evaluated the rule


def test_the_markdown_report_links_chart_files_beside_it(week: Week) -> None:
    text = week.markdown.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 2 + 3 * len(week.report.slos)
    for link in links:
        assert link.startswith("weekly-charts/")
        svg = (week.markdown.parent / link).read_text()
        assert svg.lstrip().startswith("<?xml")
        assert 'id="series-' in svg
    assert "## Budget policy: **freeze_all**" in text


def test_the_html_report_is_one_file_that_fetches_nothing(week: Week) -> None:
    page = week.html.read_text()
    assert "<script" not in page
    assert "<link" not in page
    assert not re.search(r"""\s(?:src|href)=["'](?!#)""", page)  # only in-page anchors
    assert "url(" not in page.replace("url(#", "")  # clip paths refer to ids in the page
    assert page.count("<svg") == page.count('<figure class="chart"')


COUNT_POINTS = """
() => [...document.querySelectorAll('figure.chart')].map(f => ({
  key: f.id,
  points: [...f.querySelectorAll('g[id^="series-"] path')]
    .map(p => ((p.getAttribute('d') || '').match(/[ML]/g) || []).length)
    .reduce((a, b) => a + b, 0),
  width: f.querySelector('svg').getBoundingClientRect().width,
}))
"""


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
async def test_every_chart_in_the_page_has_points_at_desktop_and_phone_width(
    week: Week, browser: BrowserContext, width: int, height: int
) -> None:
    page = await browser.new_page()
    await page.set_viewport_size({"width": width, "height": height})
    await page.goto(week.html.as_uri())
    assert await page.title() == "SLO report: integration (7d)"
    figures = await page.evaluate(COUNT_POINTS)
    assert len(figures) >= 2 + 3 * len(week.report.slos)  # policy, alerts, then SLI, budget and forecast per SLO
    empty = [f["key"] for f in figures if f["points"] < 2]
    assert not empty, f"charts without data points: {empty}"
    assert all(0 < f["width"] <= width for f in figures)
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways; only tables may"
    assert await page.locator("section.decision strong").inner_text() == "freeze_all"
    await page.screenshot(path=str(week.out / f"report-{width}.png"), full_page=True)
    await page.close()
