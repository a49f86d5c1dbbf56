"""SLOs and error budgets: one row per SLO of the spec, then recovery objectives, rollback triggers and spend.

Everything here reads the recording rules `todochat slo rules` generates (names from telemetry.conventions),
so a panel shows exactly what the alerts evaluate. Recording rules sum over every instance, so this dashboard
has no environment or instance variable: each Prometheus evaluates the rules for its own environment.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.models import dashboard as model

from dashboards.board import ALL, Board
from dashboards.panels import (
    NEEDS_BACKUP,
    NEEDS_DRILL,
    NEEDS_FAILURE,
    OK_COLOR,
    TIER_COLORS,
    Line,
    Panel,
    Query,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from dashboards.promql import SLO_VAR, eq, highest_tier, rule, sel
from slo import promql as slo_promql
from slo.durations import format_duration
from slo.model import ALERT_WINDOWS, BURN_TIERS, SLO, TIER_RANK, GaugeIndicator, LatencyIndicator, Spec
from slo.spend import DAY_SECONDS, SpendObjective
from telemetry import conventions as c

UID = "todochat-slos"  # the spec's dashboardUrl opens this dashboard with ?var-slo=<name>
SHORT_WINDOW = format_duration(ALERT_WINDOWS[0])
TIER_TEXT = {"0": ("none", OK_COLOR)} | {str(rank): (tier, TIER_COLORS[tier]) for tier, rank in TIER_RANK.items()}


def slo_variable(spec: Spec) -> dashboard_b.CustomVariable:
    """`$slo`: the spec's SLOs, rollback triggers and spend objective (the names alerts carry in `slo`)."""
    names = [s.name for s in spec.slos] + [t.name for t in spec.rollback] + ([spec.spend.name] if spec.spend else [])
    return (
        dashboard_b.CustomVariable(SLO_VAR)
        .label("SLO")
        .values(",".join(names))
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(model.VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def _slo_rule(name: str, slo: str, *matchers: str) -> str:
    return rule(name, eq(c.LABEL_SLO, slo), *matchers)


def firing_tier(name: str, *, width: int = 4, height: int = 4) -> Panel:
    """The most severe alert firing for one SLO (or rollback trigger), as its tier name."""
    return stat_panel(
        "Firing tier",
        "The most severe alert firing for this objective (ALERTS).",
        [Query(highest_tier(name, TIER_RANK))],
        unit="none",
        mappings=TIER_TEXT,
        width=width,
        height=height,
    )


def _burn_lines(slo: SLO) -> list[Line]:
    return [Line(t.factor, TIER_COLORS[t.tier]) for t in BURN_TIERS if t.tier in slo.tiers]


def exhaustion_panel(spec: Spec, slo: SLO, *, width: int) -> Panel | None:
    """Time to exhaustion: red under the policy's forecast horizon (None without a policy)."""
    if spec.policy is None:
        return None
    ex = spec.policy.exhaustion
    horizon = format_duration(ex.horizon_seconds)
    return stat_panel(
        "Time to exhaustion",
        f"Error budget left over the burn rate of the last {ex.window}: when the {slo.window.label} budget runs out "
        f"at this pace. Red under {horizon}, where {c.ALERT_EXHAUSTION} opens a ticket; infinite while nothing burns.",
        [Query(_slo_rule(c.RULE_SLO_EXHAUSTION, slo.name))],
        unit="s",
        base="red",
        lines=[Line(float(ex.horizon_seconds), OK_COLOR)],
        width=width,
        height=8,
    )


def _event_slo(b: Board, spec: Spec, slo: SLO) -> None:
    period = slo.window.label
    b.row(f"{slo.name}: {slo.description}")
    ind = slo.indicator
    latency = isinstance(ind, LatencyIndicator) and ind.percentile is not None
    forecast = spec.policy is not None  # room for the time to exhaustion: SLI, budget and burn give up columns
    widths = {"sli": 5 if latency else 6, "budget": 3 if latency else 4, "burn": 4 if latency else 6}
    if not forecast:
        widths = {"sli": 6, "budget": 4, "burn": 5 if latency else 10}
    panels = [
        timeseries_panel(
            "SLI against objective",
            f"Share of good events over {SHORT_WINDOW} and over the SLO period ({period}). "
            f"Dashed: the objective, {slo.objective:.3%}.",
            [
                Query(f"1 - {_slo_rule(c.RULE_SLO_ERROR_RATIO, slo.name, eq(c.LABEL_WINDOW, w))}", f"SLI {w}")
                for w in dict.fromkeys((SHORT_WINDOW, period))
            ],
            unit="percentunit",
            lines=[Line(slo.objective)],
            width=widths["sli"],
        )
    ]
    if isinstance(ind, LatencyIndicator) and ind.percentile is not None:
        label = f"P{ind.percentile * 100:g}"
        panels.append(
            timeseries_panel(
                f"{label} against {ind.threshold:g} s",
                f"{label} of {ind.metric} over {SHORT_WINDOW} and {period}. Dashed: the threshold.",
                [
                    Query(_slo_rule(c.RULE_SLO_LATENCY, slo.name, eq(c.LABEL_WINDOW, w)), f"{label} {w}")
                    for w in dict.fromkeys((SHORT_WINDOW, period))
                ],
                unit="s",
                lines=[Line(ind.threshold)],
                width=5,
            )
        )
    panels += [
        stat_panel(
            "Error budget remaining",
            f"Share of the {period} error budget ({slo.error_budget:.3%} of events) still unspent.",
            [Query(_slo_rule(c.RULE_SLO_BUDGET_REMAINING, slo.name))],
            unit="percentunit",
            base="red",
            lines=[Line(0.0, OK_COLOR)],
            width=widths["budget"],
            height=8,
        ),
    ]
    tte = exhaustion_panel(spec, slo, width=widths["budget"])
    if tte is not None:
        panels.append(tte)
    panels += [
        timeseries_panel(
            "Burn rate per alert window",
            "Error ratio over the error budget, per window (1 = spending the budget exactly over the period). "
            "Dashed: each tier's burn-rate factor.",
            [Query(_slo_rule(c.RULE_SLO_BURN_RATE, slo.name), "{{" + c.LABEL_WINDOW + "}}")],
            unit="none",
            lines=_burn_lines(slo),
            min_value=0,
            width=widths["burn"],
        ),
        firing_tier(slo.name, height=8),
    ]
    b.add(*panels)


def _objectives_text(ind: GaugeIndicator) -> str:
    return ", ".join(f"{tier} {format_duration(int(limit))}" for tier, limit in ind.thresholds)


def _recovery_lines(ind: GaugeIndicator) -> list[Line]:
    """From each limit up, the color of the most severe tier whose objective that value misses."""
    lines = []
    for _, limit in sorted(ind.thresholds, key=lambda item: item[1]):
        missed = [tier for tier, other in ind.thresholds if other <= limit]
        worst = max(missed, key=lambda tier: TIER_RANK[tier])
        lines.append(Line(limit, TIER_COLORS[worst]))
    return lines


def _recovery(b: Board, gauges: list[SLO]) -> None:
    b.row("Recovery objectives (RTO, RPO, backups)")
    seen: set[str] = set()
    for slo in gauges:
        ind = slo.indicator
        assert isinstance(ind, GaugeIndicator)
        needs = NEEDS_BACKUP if ind.age else NEEDS_DRILL
        b.add(
            stat_panel(
                slo.name,
                f"{slo.description} Objectives: {_objectives_text(ind)}.",
                [Query(_slo_rule(c.RULE_SLO_GAUGE, slo.name), needs=needs)],
                unit="s",
                lines=_recovery_lines(ind),
                width=4,
            ),
            firing_tier(slo.name, width=2),
        )
        if ind.freshness is not None and ind.freshness.promql() not in seen:
            seen.add(ind.freshness.promql())
            limit = ind.max_age or 0.0
            b.add(
                stat_panel(
                    "Last restore drill",
                    f"Time since {ind.freshness.series}; older than {format_duration(int(limit))} is stale.",
                    [Query(f"time() - max({ind.freshness.promql()})", needs=NEEDS_DRILL)],
                    unit="s",
                    lines=[Line(limit, TIER_COLORS[ind.stale_tier])],
                    width=3,
                )
            )
        if ind.success is not None and ind.success.promql() not in seen:
            seen.add(ind.success.promql())
            b.add(
                stat_panel(
                    "Last drill result",
                    "Whether the last restore drill restored the newest backup and verified it.",
                    [Query(f"max({ind.success.promql()})", needs=NEEDS_DRILL)],
                    unit="none",
                    mappings={"1": ("passed", OK_COLOR), "0": ("failed", "red")},
                    width=3,
                )
            )


def _rollback(b: Board, spec: Spec) -> None:
    b.row("Rollback triggers")
    for t in spec.rollback:
        w = format_duration(t.window_seconds)
        exemplars = False
        if t.bad is not None:
            expr = f"({slo_promql.rate(t.bad, w)} or vector(0)) / {slo_promql.rate(t.total, w)}"
            unit = "percentunit"
        elif t.percentile is not None:
            expr = slo_promql.latency_quantile(t.percentile, t.total.renamed(f"{t.metric}_bucket"), w)
            unit, exemplars = "s", True
        else:
            expr = f"{slo_promql.rate(t.total.renamed(f'{t.metric}_sum'), w)} / {slo_promql.rate(t.total, w)}"
            unit = "s"
        b.add(
            timeseries_panel(
                t.name,
                f"{t.description} Value over {w}; dashed: the trigger ({t.threshold:g}).",
                [Query(expr, t.name, exemplars=exemplars)],
                unit=unit,
                lines=[Line(t.threshold)],
                min_value=0,
                width=9,
            ),
            firing_tier(t.name, width=3),
        )


def _spend(b: Board, spend: SpendObjective) -> None:
    b.row(f"{spend.name}: {spend.description}")
    day = format_duration(DAY_SECONDS)
    panels = [
        timeseries_panel(
            f"Model spend over the last {day}",
            f"List-price US dollars of model calls over the trailing day ({c.RULE_LLM_SPEND}). Dashed: the daily "
            f"budget of {c.ALERT_SPEND_OVER_BUDGET}.",
            [Query(rule(c.RULE_LLM_SPEND, eq(c.LABEL_WINDOW, day)), "last day")],
            unit="currencyUSD",
            lines=[Line(spend.daily_budget, TIER_COLORS[spend.tier])],
            min_value=0,
            width=20 if spend.pace is None else 10,
        )
    ]
    if spend.pace is not None:
        w = format_duration(spend.pace.window_seconds)
        panels.append(
            timeseries_panel(
                f"Spend pace over {w}, as a day",
                f"The last {w} of model calls kept up for a day. Dashed: {spend.pace.factor:g}x the budget, where "
                f"{c.ALERT_SPEND_PACE} fires.",
                [Query(f"{rule(c.RULE_LLM_SPEND, eq(c.LABEL_WINDOW, w))} * {spend.pace.per_day:g}", f"last {w} x day")],
                unit="currencyUSD",
                lines=[Line(spend.daily_budget * spend.pace.factor, TIER_COLORS[spend.pace.tier])],
                min_value=0,
                width=10,
            )
        )
    b.add(*panels, firing_tier(spend.name, width=4))


def board(spec: Spec) -> Board:
    """The SLO and error budget dashboard."""
    b = Board(
        UID,
        "Todo AI Chatbot / SLOs and error budgets",
        f"Every objective of the {spec.service} SLO spec: SLI against objective, error budget, burn rate per alert "
        "window, which tier is firing, recovery objectives and rollback triggers.",
        file_name="slos-and-error-budgets.json",
    )
    b.variables(slo_variable(spec))
    chosen = f'{c.LABEL_SLO}=~"${SLO_VAR}"'
    b.row("Summary")
    summary = [
        timeseries_panel(
            "Error budget remaining",
            "Share of each SLO's error budget left over its period.",
            [Query(rule(c.RULE_SLO_BUDGET_REMAINING, chosen), "{{" + c.LABEL_SLO + "}}")],
            unit="percentunit",
            lines=[Line(0.0)],
            width=12 if spec.policy is None else 8,
        ),
        timeseries_panel(
            f"Burn rate over {SHORT_WINDOW}",
            "How fast each SLO spends its error budget over the shortest alert window.",
            [Query(rule(c.RULE_SLO_BURN_RATE, chosen, eq(c.LABEL_WINDOW, SHORT_WINDOW)), "{{" + c.LABEL_SLO + "}}")],
            unit="none",
            lines=[Line(t.factor, TIER_COLORS[t.tier]) for t in BURN_TIERS],
            min_value=0,
            width=12 if spec.policy is None else 8,
        ),
    ]
    if spec.policy is not None:
        ex = spec.policy.exhaustion
        summary.append(
            timeseries_panel(
                "Time to error budget exhaustion",
                f"When each SLO's budget runs out at the burn rate of the last {ex.window} (no line while nothing "
                f"burns). Dashed: the {format_duration(ex.horizon_seconds)} horizon of {c.ALERT_EXHAUSTION}.",
                [Query(rule(c.RULE_SLO_EXHAUSTION, chosen), "{{" + c.LABEL_SLO + "}}")],
                unit="s",
                lines=[Line(float(ex.horizon_seconds), TIER_COLORS[ex.tier])],
                min_value=0,
                width=8,
            )
        )
    b.add(
        *summary,
        table_panel(
            "Firing alerts",
            "Alerts firing now for the chosen SLOs, with their tier.",
            [Query(sel("ALERTS", eq("alertstate", "firing"), chosen, scoped=False), instant=True, needs=NEEDS_FAILURE)],
        ),
    )
    for slo in spec.slos:
        if not isinstance(slo.indicator, GaugeIndicator):
            _event_slo(b, spec, slo)
    gauges = [s for s in spec.slos if isinstance(s.indicator, GaugeIndicator)]
    if gauges:
        _recovery(b, gauges)
    if spec.rollback:
        _rollback(b, spec)
    if spec.spend is not None:
        _spend(b, spec.spend)
    return b
