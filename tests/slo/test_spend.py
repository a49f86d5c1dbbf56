"""The daily spend objective: the spec's `spend:` section, the engine's verdicts, the rules it generates."""

from __future__ import annotations

import pytest

from slo.engine import evaluate
from slo.engine.spend import evaluate_spend, spend_queries
from slo.errors import SpecError
from slo.load import load_spec, spec_from_text
from slo.rules import rule_files
from slo.spend import SpendObjective
from telemetry import conventions as c

BASE = """
apiVersion: slo.todochat/v1
kind: ServiceLevelObjectives
service: todochat
slos:
  - name: api-availability
    target: 0.999
    indicator:
      ratio: {metric: http_server_request_duration_seconds, bad: {http_status_class: 5xx}}
"""
SPEND = (
    BASE
    + """
spend:
  dailyBudgetUsd: 20
  pace: {window: 1h, factor: 4, tier: high}
"""
)


def objective(text: str = SPEND) -> SpendObjective:
    spend = spec_from_text(text).spend
    assert spend is not None
    return spend


def verdicts(spend: SpendObjective, day: float, recent: float) -> dict[str, bool]:
    queries = spend_queries(spend)
    observations = {queries[0]: {"": day}, queries[1]: {"": recent}}
    _, alerts = evaluate_spend(spend, observations)
    return {a.name: a.firing for a in alerts}


@pytest.mark.parametrize(
    ("day", "recent", "over", "pace"),
    [
        pytest.param(0.0, 0.0, False, False, id="no model calls fire nothing"),
        pytest.param(19.99, 0.8, False, False, id="a day just under the budget fires nothing"),
        pytest.param(20.0, 0.8, False, False, id="a day exactly at the budget is within it"),
        pytest.param(20.01, 0.8, True, False, id="a day over the budget at an even pace fires the over-budget alert"),
        pytest.param(5.0, 3.34, False, True, id="an hour at more than 4x the budget's pace fires the pace alert"),
        pytest.param(5.0, 80 / 24, False, False, id="an hour exactly at 4x the pace does not fire"),
        pytest.param(30.0, 10.0, True, True, id="a runaway that has spent the day's budget fires both"),
    ],
)
def test_spend_fires_over_the_daily_budget_and_on_a_runaway_pace(
    day: float, recent: float, over: bool, pace: bool
) -> None:
    assert verdicts(objective(), day, recent) == {c.ALERT_SPEND_OVER_BUDGET: over, c.ALERT_SPEND_PACE: pace}


def test_a_spend_section_without_a_pace_watches_the_day_only() -> None:
    spend = objective(BASE + "spend: {dailyBudgetUsd: 5, pace: null}\n")
    assert spend.pace is None
    assert len(spend_queries(spend)) == 1
    assert [r["alert"] for r in rule_files(spec_from_text(BASE + "spend: {dailyBudgetUsd: 5, pace: null}\n"))[
        "spend.rules.yaml"]["groups"][0]["rules"] if "alert" in r] == [c.ALERT_SPEND_OVER_BUDGET]  # fmt: skip


def test_the_defaults_are_a_medium_ticket_over_budget_and_a_high_page_at_four_times_the_pace() -> None:
    spend = objective(BASE + "spend: {dailyBudgetUsd: 10}\n")
    assert (spend.name, spend.tier) == ("llm-spend", "medium")
    assert spend.pace is not None
    assert (spend.pace.window_seconds, spend.pace.factor, spend.pace.tier) == (3600, 4.0, "high")
    assert spend.runbook_url == "alerts/RUNBOOK.md#llm-daily-spend-over-budget"
    assert spend.pace.runbook_url == "alerts/RUNBOOK.md#llm-spend-pace-high"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param("spend: {dailyBudgetUsd: 0}", "dailyBudgetUsd", id="a budget of nothing"),
        pytest.param("spend: {}", "dailyBudgetUsd", id="no budget"),
        pytest.param(
            "spend: {dailyBudgetUsd: 5, pace: {window: 1d}}", "shorter than the day", id="a pace window of a day"
        ),
        pytest.param("spend: {dailyBudgetUsd: 5, pace: {factor: 1}}", "factor", id="a pace no faster than the budget"),
        pytest.param("spend: {dailyBudgetUsd: 5, name: api-availability}", "unique", id="a name an SLO has"),
        pytest.param("spend: {dailyBudgetUsd: 5, perDay: 3}", "perDay", id="a misspelt field"),
    ],
)
def test_a_spend_section_that_makes_no_sense_is_refused_with_the_field(section: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_from_text(BASE + section + "\n")


def test_the_rules_record_the_spend_with_the_queries_the_engine_asks() -> None:
    spend = objective()
    group = rule_files(spec_from_text(SPEND))["spend.rules.yaml"]["groups"][0]
    recorded = {r["labels"][c.LABEL_WINDOW]: r["expr"] for r in group["rules"] if "record" in r}
    assert recorded == {
        "1d": f"sum(increase({c.LLM_COST}[1d]))",
        "1h": f"sum(increase({c.LLM_COST}[1h]))",
    }
    alerts = {r["alert"]: r["expr"] for r in group["rules"] if "alert" in r}
    assert alerts == {
        c.ALERT_SPEND_OVER_BUDGET: f'{c.RULE_LLM_SPEND}{{window="1d"}} > 20',
        c.ALERT_SPEND_PACE: f'{c.RULE_LLM_SPEND}{{window="1h"}} * 24 > 80',
    }
    assert len(spend_queries(spend)) == len(recorded)


def test_the_shipped_spec_budgets_spend_and_reports_it_with_every_evaluation() -> None:
    spec = load_spec()
    assert spec.spend is not None
    report = evaluate(spec, {}, 1_000_000.0)
    names = [s.name for s in report.spend]
    assert names == ["llm-spend-1d", "llm-spend-pace-1h"]
    assert report.to_dict()["spend"][0]["threshold"] == spec.spend.daily_budget
    assert not any(a.firing for a in report.alerts if a.kind == "spend")
