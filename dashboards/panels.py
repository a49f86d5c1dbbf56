"""Panels as data: each keeps its queries (and what they need before they can show anything) beside its builder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from dashboards.datasources import PROMETHEUS_REF

# What a quiet query waits for. Everything else must show data under ordinary traffic.
NEEDS_FAILURE: Final = "a failure (an error, a failed call or a firing alert)"
NEEDS_BACKUP: Final = "a successful backup"
NEEDS_DRILL: Final = "a restore drill"
NEEDS_REJECTION: Final = "a request refused by a rate limit"

TIER_COLORS: Final = {"critical": "red", "high": "orange", "medium": "yellow", "low": "blue"}
OK_COLOR: Final = "green"


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL target; `needs` says what must happen before it has data (None: ordinary traffic is enough)."""

    expr: str
    legend: str = ""
    needs: str | None = None
    exemplars: bool = False  # latency queries: show exemplars that open the trace
    instant: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """A threshold drawn on a panel, with where its value comes from."""

    value: float
    color: str = "red"


@dataclass(slots=True)
class Panel:
    """An SDK panel builder and the queries it runs."""

    builder: timeseries.Panel | stat.Panel | table.Panel
    queries: tuple[Query, ...]
    title: str = ""


def _targets(queries: Sequence[Query]) -> list[Builder[variants.Dataquery]]:
    out: list[Builder[variants.Dataquery]] = []
    for i, q in enumerate(queries):
        target = prometheus.Dataquery().expr(q.expr).ref_id(chr(ord("A") + i)).datasource(PROMETHEUS_REF)
        if q.legend:
            target = target.legend_format(q.legend)
        target = target.instant().format(PromQueryFormat.TABLE) if q.instant else target.range()
        if q.exemplars:
            target = target.exemplar(True)
        out.append(target)
    return out


def _description(text: str, queries: Sequence[Query]) -> str:
    needs = sorted({q.needs for q in queries if q.needs})
    if needs:
        text += f" Shows nothing until {' or '.join(needs)} has happened."
    return text


def thresholds(lines: Sequence[Line], base: str) -> Builder[model.ThresholdsConfig]:
    """Threshold steps: `base` below the first line, then each line's color from its value up."""
    steps = [model.Threshold(value=None, color=base)]
    steps += [model.Threshold(value=line.value, color=line.color) for line in sorted(lines, key=lambda ln: ln.value)]
    return dashboard_b.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)


def timeseries_panel(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str,
    lines: Sequence[Line] = (),
    stacked: bool = False,
    min_value: float | None = None,
    width: int = 12,
    height: int = 8,
) -> Panel:
    """A time series; threshold lines are drawn dashed."""
    builder = (
        timeseries.Panel()
        .title(title)
        .description(_description(description, queries))
        .datasource(PROMETHEUS_REF)
        .targets(_targets(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(
            common_b.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common_b.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING))
    )
    if min_value is not None:
        builder = builder.min(min_value)
    if lines:
        builder = builder.thresholds(thresholds(lines, "transparent")).thresholds_style(
            common_b.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        builder = builder.stacking(common_b.StackingConfig().mode(common.StackingMode.NORMAL))
    return Panel(builder, tuple(queries), title)


def stat_panel(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str,
    lines: Sequence[Line] = (),
    base: str = OK_COLOR,
    mappings: dict[str, tuple[str, str]] | None = None,
    width: int = 6,
    height: int = 4,
) -> Panel:
    """A big number colored by thresholds; `mappings` turns values into text (value -> (text, color))."""
    builder = (
        stat.Panel()
        .title(title)
        .description(_description(description, queries))
        .datasource(PROMETHEUS_REF)
        .targets(_targets(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(thresholds(lines, base))
    )
    if mappings:
        options = {value: model.ValueMappingResult(text=text, color=color) for value, (text, color) in mappings.items()}
        builder = builder.mappings([model.ValueMap(options=options)])
    return Panel(builder, tuple(queries), title)


def table_panel(title: str, description: str, queries: Sequence[Query], *, width: int = 24, height: int = 6) -> Panel:
    """An instant table of the series the queries return (labels as columns)."""
    builder = (
        table.Panel()
        .title(title)
        .description(_description(description, queries))
        .datasource(PROMETHEUS_REF)
        .targets(_targets(queries))
        .span(width)
        .height(height)
    )
    return Panel(builder, tuple(queries), title)
