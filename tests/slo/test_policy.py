"""Table tests for the error budget policy and the time to exhaustion: known inputs, known decisions."""

from __future__ import annotations

import pytest

from slo.durations import format_duration
from slo.engine import evaluate, plan
from slo.engine.policy import decide, decide_slo, time_to_exhaustion
from slo.engine.results import SLOResult, WindowResult
from slo.errors import SpecError
from slo.load import load_spec, spec_from_text
from slo.model import ALERT_WINDOWS, SLO, Spec
from slo.policy import ACTION_RANK, BudgetPolicy
from slo.report import duration, policy_exit_code
from slo.sources.series import answer
from tests.slo.builders import counters, ratio_spec, steady

NOW = 1_750_000_000.0
DAY = 86400.0
MINUTES_3D = 3 * 24 * 60

POLICY = """
policy:
  exhaustion: {window: 6h, horizon: 72h, tier: medium}
  steps:
    - {name: fast-burn, when: {burnRateAbove: 14.4, window: 1h}, action: freeze_all, reason: Incident.}
    - {name: budget-spent, when: {budgetRemainingAtMost: 0}, action: freeze_all, reason: Spent.}
    - {name: budget-low, when: {budgetRemainingAtMost: 0.25}, action: freeze_features, reason: Low.}
    - name: low-and-burning
      when: {budgetRemainingAtMost: 0.5, burnRateAbove: 2, window: 1d}
      action: freeze_features
      reason: Half gone and burning.
    - {name: budget-half, when: {budgetRemainingAtMost: 0.5}, action: notify, reason: Half gone.}
"""


def _spec(min_events: int = 100, extra: str = POLICY) -> Spec:
    return ratio_spec(target=0.99, min_events=min_events, extra=extra)


def _policy(spec: Spec) -> BudgetPolicy:
    assert spec.policy is not None
    return spec.policy


def _result(slo: SLO, left: float | None, burns: dict[str, float | None], total: float = 1e6) -> SLOResult:
    """An SLO result with the budget left over its period and burn rates per window (others: zero)."""
    windows = []
    for seconds in ALERT_WINDOWS:
        label = format_duration(seconds)
        burn = burns.get(label, 0.0)
        ratio = None if burn is None else burn * slo.error_budget
        windows.append(WindowResult(label, seconds, 0.0 if burn is None else total, 0.0, ratio, burn))
    period_ratio = None if left is None else (1 - left) * slo.error_budget
    windows.append(WindowResult("30d", 30 * DAY, total, 0.0, period_ratio, None if left is None else 1 - left))
    return SLOResult(slo.name, "ratio", slo.objective, "30d", "ok", None, left, tuple(windows), ())


@pytest.mark.parametrize(
    ("remaining", "burn", "expected"),
    [
        pytest.param(0.5, 2.0, 7.5 * DAY, id="half the budget at twice the budget rate lasts a quarter period"),
        pytest.param(1.0, 1.0, 30 * DAY, id="a whole budget at the budget rate lasts exactly one period"),
        pytest.param(0.1, 14.4, 0.1 * 30 * DAY / 14.4, id="a tenth of the budget at a critical burn lasts hours"),
        pytest.param(0.0, 3.0, 0.0, id="a spent budget is exhausted now"),
        pytest.param(-0.4, 3.0, 0.0, id="an overspent budget is exhausted now, never negative"),
        pytest.param(0.5, 0.0, None, id="a budget nothing burns is never exhausted"),
        pytest.param(0.5, None, None, id="a window without events forecasts nothing"),
        pytest.param(None, 2.0, None, id="a period without events forecasts nothing"),
    ],
)
def test_time_to_exhaustion(remaining: float | None, burn: float | None, expected: float | None) -> None:
    got = time_to_exhaustion(remaining, burn, 30 * DAY)
    assert got == (pytest.approx(expected) if expected is not None else None)


def _tail(minutes: int, share: float, total: float = 1000.0) -> list[tuple[float, float]]:
    return steady(MINUTES_3D - minutes, total, 0) + steady(minutes, total, total * share)


@pytest.mark.parametrize(
    ("per_minute", "min_events", "firing"),
    [
        pytest.param(
            _tail(MINUTES_3D, 0.0095), 100, True, id="a leak just under the budget rate spends the rest within 72h"
        ),
        pytest.param(_tail(MINUTES_3D, 0.002), 100, False, id="a fifth of the budget rate lasts for months"),
        pytest.param(_tail(0, 0.0), 100, False, id="no errors never exhaust the budget"),
        pytest.param(
            steady(MINUTES_3D - 360, 0, 0) + steady(360, 0.2, 0.1),
            100,
            False,
            id="the low-traffic guard holds back the forecast on 72 requests in six hours",
        ),
        pytest.param(
            steady(MINUTES_3D - 360, 0, 0) + steady(360, 0.2, 0.1),
            10,
            True,
            id="the same errors forecast once the guard is lowered",
        ),
    ],
)
def test_exhaustion_forecast_alert(per_minute: list[tuple[float, float]], min_events: int, firing: bool) -> None:
    spec = _spec(min_events=min_events)
    report = evaluate(spec, answer(plan(spec, NOW), counters(NOW, per_minute), NOW), NOW)
    (alert,) = [a for a in report.slos[0].alerts if a.name == "ErrorBudgetExhaustionForecast"]
    assert alert.firing is firing, alert.detail
    assert alert.tier == "medium"
    assert alert.labels == (("window", "6h"),)


def test_the_forecast_is_a_field_of_the_evaluation_and_of_its_json() -> None:
    spec = _spec()
    series = counters(NOW, _tail(MINUTES_3D, 0.005))
    report = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW)
    result = report.slos[0]
    # errors at half the budget rate leave half the budget; at that pace the rest lasts one whole period
    assert result.error_budget_remaining == pytest.approx(0.5)
    assert result.time_to_exhaustion == pytest.approx(30 * DAY)
    assert report.to_dict()["slos"][0]["time_to_exhaustion"] == pytest.approx(result.time_to_exhaustion)


def test_an_slo_that_does_not_alert_at_the_forecast_tier_gets_no_forecast_alert() -> None:
    narrowed = spec_from_text(
        """
apiVersion: slo.todochat/v1
kind: ServiceLevelObjectives
service: test
slos:
  - name: probes
    target: 0.99
    tiers: [low]
    indicator: {ratio: {metric: http_server_request_duration_seconds, bad: {http_status_class: 5xx}}}
"""
        + POLICY
    )
    series = counters(NOW, _tail(MINUTES_3D, 0.0095))
    report = evaluate(narrowed, answer(plan(narrowed, NOW), series, NOW), NOW)
    assert not [a for a in report.alerts if a.name == "ErrorBudgetExhaustionForecast"]
    assert report.slos[0].time_to_exhaustion is not None  # still forecast, only not alerted


@pytest.mark.parametrize(
    ("left", "burns", "action", "step"),
    [
        pytest.param(0.9, {}, "none", None, id="a healthy budget and no burn take no step"),
        pytest.param(0.5, {}, "notify", "budget-half", id="exactly half left holds budgetRemainingAtMost 0.5"),
        pytest.param(0.51, {}, "none", None, id="just over half left holds nothing"),
        pytest.param(0.2, {}, "freeze_features", "budget-low", id="a fifth left freezes features"),
        pytest.param(0.0, {}, "freeze_all", "budget-spent", id="a spent budget freezes everything"),
        pytest.param(-3.0, {}, "freeze_all", "budget-spent", id="an overspent budget freezes everything"),
        pytest.param(
            0.9, {"1h": 20.0}, "freeze_all", "fast-burn", id="a critical burn freezes everything with budget left"
        ),
        pytest.param(0.9, {"1h": 14.4}, "none", None, id="a burn rate equal to the factor is not above it"),
        pytest.param(
            0.4, {"1d": 3.0}, "freeze_features", "low-and-burning", id="both parts hold: budget under half and burning"
        ),
        pytest.param(
            0.4, {"1d": 1.5}, "notify", "budget-half", id="one part failing drops to the next step that holds"
        ),
        pytest.param(0.9, {"1d": 3.0}, "none", None, id="burning alone does not hold a step that also needs budget"),
        pytest.param(0.1, {"1h": 20.0}, "freeze_all", "fast-burn", id="the first step that holds decides for an SLO"),
    ],
)
def test_policy_step_for_one_slo(left: float, burns: dict[str, float | None], action: str, step: str | None) -> None:
    spec = _spec()
    decision = decide_slo(_policy(spec), spec.slos[0], _result(spec.slos[0], left, burns))
    assert (decision.action, decision.step) == (action, step)
    if step is not None:
        assert decision.reason
        assert decision.why


def test_the_first_step_decides_even_when_a_later_one_is_more_severe() -> None:
    spec = _spec(
        extra="""
policy:
  steps:
    - {name: notice, when: {budgetRemainingAtMost: 0.5}, action: notify, reason: Tell the team.}
    - {name: stop, when: {budgetRemainingAtMost: 0}, action: freeze_all, reason: Stop.}
"""
    )
    decision = decide_slo(_policy(spec), spec.slos[0], _result(spec.slos[0], -1.0, {}))
    assert (decision.action, decision.step) == ("notify", "notice")


@pytest.mark.parametrize(
    ("events", "left", "burns", "action"),
    [
        pytest.param(50, 0.0, {}, "none", id="a spent budget over 50 events is low traffic and takes no step"),
        pytest.param(50, 0.9, {"1h": 99.0}, "none", id="a burn over 50 events is low traffic and takes no step"),
        pytest.param(100, 0.0, {}, "freeze_all", id="the same budget over minEvents events freezes"),
        pytest.param(1e6, 0.9, {"1h": None}, "none", id="a window without events holds no burn condition"),
    ],
)
def test_low_traffic_takes_no_policy_step(
    events: float, left: float, burns: dict[str, float | None], action: str
) -> None:
    spec = _spec(min_events=100)
    decision = decide_slo(_policy(spec), spec.slos[0], _result(spec.slos[0], left, burns, total=events))
    assert decision.action == action
    if action == "none" and events < 100:
        assert "fewer than 100" in decision.why


def _two_slo_spec() -> Spec:
    body = "".join(
        f"""
  - name: {name}
    target: 0.99
    indicator: {{ratio: {{metric: http_server_request_duration_seconds, filter: {{http_route: /{name}}},
                          bad: {{http_status_class: 5xx}}}}}}
"""
        for name in ("first", "second")
    )
    head = "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: test\nslos:"
    return spec_from_text(head + body + POLICY)


@pytest.mark.parametrize(
    ("first", "second", "decided"),
    [
        pytest.param((0.9, {}), (0.9, {}), ("none", None, None), id="no SLO acting lets deploys go ahead"),
        pytest.param(
            (0.4, {}), (0.1, {}), ("freeze_features", "second", "budget-low"), id="the most severe action wins"
        ),
        pytest.param(
            (0.0, {}),
            (0.9, {"1h": 20.0}),
            ("freeze_all", "second", "fast-burn"),
            id="between equals the earlier step wins",
        ),
        pytest.param((0.0, {}), (-1.0, {}), ("freeze_all", "first", "budget-spent"), id="then the SLO listed first"),
    ],
)
def test_the_decision_is_the_most_severe_over_every_slo(
    first: tuple[float, dict[str, float | None]],
    second: tuple[float, dict[str, float | None]],
    decided: tuple[str, str | None, str | None],
) -> None:
    spec = _two_slo_spec()
    judged = [(slo, _result(slo, *state)) for slo, state in zip(spec.slos, (first, second), strict=True)]
    decision = decide(_policy(spec), judged)
    assert (decision.action, decision.slo, decision.step) == decided
    assert [d.slo for d in decision.slos] == ["first", "second"]
    if decision.action == "none":
        assert "deploys go ahead" in decision.reason


@pytest.mark.parametrize(
    ("action", "code"),
    [
        pytest.param("none", 0, id="no step holding exits 0"),
        pytest.param("notify", 21, id="notify exits 21"),
        pytest.param("freeze_features", 22, id="freeze_features exits 22"),
        pytest.param("freeze_all", 23, id="freeze_all exits 23"),
    ],
)
def test_each_action_has_its_exit_code(action: str, code: int) -> None:
    assert policy_exit_code(action) == code
    assert set(ACTION_RANK) == {"none", "notify", "freeze_features", "freeze_all"}


def test_the_decision_reaches_the_report_and_its_json() -> None:
    spec = _spec()
    series = counters(NOW, _tail(MINUTES_3D, 0.05))
    report = evaluate(spec, answer(plan(spec, NOW), series, NOW), NOW)
    assert report.policy is not None
    assert (report.policy.action, report.policy.step, report.policy.slo) == (
        "freeze_all",
        "budget-spent",
        "availability",
    )
    data = report.to_dict()["policy"]
    assert data["action"] == "freeze_all"
    assert data["reason"] == "Spent."
    assert "budget left" in data["why"]


def test_without_a_policy_section_there_is_no_decision_and_no_forecast() -> None:
    spec = ratio_spec()
    report = evaluate(spec, answer(plan(spec, NOW), counters(NOW, _tail(60, 0.5)), NOW), NOW)
    assert report.policy is None
    assert report.slos[0].time_to_exhaustion is None
    assert not [a for a in report.alerts if a.name == "ErrorBudgetExhaustionForecast"]


def test_the_default_spec_freezes_on_a_spent_budget_and_forecasts_72_hours_ahead() -> None:
    policy = _policy(load_spec())
    assert policy.exhaustion.horizon_seconds == 72 * 3600
    assert policy.exhaustion.tier == "medium"  # a ticket
    actions = {s.name: s.action for s in policy.steps}
    assert actions["budget-spent"] == "freeze_all"
    assert {"notify", "freeze_features", "freeze_all"} <= set(actions.values())


HEAD = "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: s\nslos: []\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "policy:\n  steps:\n    - {name: a, when: {burnRateAbove: 2, window: 4h}, action: notify, reason: r}\n",
            ["field policy.steps.0.when.window", "'4h' has no recorded burn rate"],
            id="a window without a recorded burn rate is refused",
        ),
        pytest.param(
            "policy:\n  steps:\n    - {name: a, when: {burnRateAbove: 2}, action: notify, reason: r}\n",
            ["field policy.steps.0.when", "go together"],
            id="a burn rate without its window is refused",
        ),
        pytest.param(
            "policy:\n  steps:\n    - {name: a, when: {}, action: notify, reason: r}\n",
            ["field policy.steps.0.when", "give budgetRemainingAtMost"],
            id="an empty condition is refused",
        ),
        pytest.param(
            "policy:\n  steps:\n    - {name: a, when: {budgetRemainingAtMost: 0}, action: page, reason: r}\n",
            ["field policy.steps.0.action"],
            id="an action other than notify, freeze_features or freeze_all is refused",
        ),
        pytest.param(
            "policy:\n  steps:\n    - {name: a, when: {budgetRemainingAtMost: 0}, action: notify, reason: r}\n"
            "    - {name: a, when: {budgetRemainingAtMost: 0}, action: notify, reason: r}\n",
            ["repeated: ['a']"],
            id="repeated step names are refused",
        ),
        pytest.param(
            "policy:\n  exhaustion: {window: 6h, horizon: three days}\n",
            ["field policy.exhaustion.horizon", "not a duration"],
            id="a horizon that is not a duration is refused",
        ),
    ],
)
def test_policy_spec_errors_name_the_field(body: str, expected: list[str]) -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_text(HEAD + body, "bad.yaml")
    for part in expected:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(None, "-", id="no forecast shows a dash"),
        pytest.param(0.0, "spent", id="a spent budget shows as spent"),
        pytest.param(37.9 * 3600, "37.9h", id="under two days shows hours"),
        pytest.param(7.5 * DAY, "7.5d", id="two days or more shows days"),
    ],
)
def test_time_to_exhaustion_reads_as_hours_or_days(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown
