"""The report's charts, drawn with matplotlib as SVG text. Pure: a report model in, SVG strings out.

matplotlib comes with the `report` extra. Figures are built without pyplot (no global state, no display) and
written by the SVG backend with text kept as text, so the charts stay small and readable at any width. Each data
line carries an SVG group id `series-...`, which is how a reader (or a test) finds the points drawn.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from slo.report_model import SHORT_WINDOW, AlertEpisode, SLOHistory, SLOReport, Span

TIER_COLOURS = {"critical": "#b2182b", "high": "#e66101", "medium": "#dfa000", "low": "#4393c3"}
ACTIONS = ("none", "notify", "freeze_features", "freeze_all")
ACTION_COLOURS = {"none": "#1a9850", "notify": "#4393c3", "freeze_features": "#e66101", "freeze_all": "#b2182b"}
LINE = "#1f4e79"
LIGHT = "#8fb3d9"
SIZE = (6.4, 2.6)  # inches; drawn at 100% on a desktop column, scaled down on a phone
RC = {
    "svg.fonttype": "none",  # text stays <text>: small files, and the browser renders it crisply
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 10.5,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "timezone": "UTC",
}


@dataclass(frozen=True, slots=True)
class Chart:
    """One drawn chart: where it goes (`slo`, or None for the summary), what it shows, and its SVG."""

    key: str  # unique in a report and safe in a file name, e.g. "budget-api-availability"
    slo: str | None
    title: str
    caption: str
    svg: str
    points: int  # data points drawn, over every line


def _when(times: Sequence[float]) -> list[float]:
    """Unix seconds as matplotlib's date numbers (days since its default epoch, 1970-01-01 UTC)."""
    return [t / 86400 for t in times]


def _nan(values: Sequence[float | None], scale: float = 1.0, cap: float | None = None) -> list[float]:
    out = []
    for v in values:
        if v is None or math.isnan(v):
            out.append(math.nan)
        else:
            out.append(min(v * scale, cap) if cap is not None else v * scale)
    return out


def _count(values: Sequence[float]) -> int:
    return sum(not math.isnan(v) for v in values)


def _time_axis(ax: Axes, span: Span) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7, tz=dt.UTC)  # type: ignore[no-untyped-call]  # untyped
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=dt.UTC))  # type: ignore[no-untyped-call]
    start, end = _when([span.times[0], span.end])
    ax.set_xlim(start, end)
    ax.grid(True, axis="y", color="#e4e4e4", linewidth=0.8)


def _shade(ax: Axes, alerts: Sequence[AlertEpisode], span: Span) -> None:
    """The SLO's firing alerts as bands behind the lines, coloured by tier."""
    for a in alerts:
        start, end = _when([max(a.start, span.times[0]), max(a.end, a.start + span.step / 4)])
        ax.axvspan(start, end, color=TIER_COLOURS.get(a.tier, "#999999"), alpha=0.12, linewidth=0)


_ID = re.compile(r'(\bid="|url\(#|href="#)(?!series-)')


def _svg(fig: Figure, key: str) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(fig)
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline in HTML: no XML declaration or doctype
    # matplotlib numbers its groups per figure (figure_1, axes_1 ...): prefixed, the ids of one page stay unique
    return _ID.sub(lambda m: f"{m.group(1)}{key}-", text)


def _draw(key: str, draw: Callable[[Axes], int], size: tuple[float, float] = SIZE) -> tuple[str, int]:
    """The SVG of one chart, and the data points `draw` put on it."""
    with rc_context(cast(Any, {**RC, "svg.hashsalt": key})):  # ids unique per chart: several SVGs share one HTML page
        fig = Figure(figsize=size, layout="constrained")
        points = draw(fig.add_subplot())
        return _svg(fig, key), points


def _pct_digits(objective: float) -> int:
    return max(1, min(4, -math.floor(math.log10(max(1 - objective, 1e-6))) - 1))


def _sli(ax: Axes, h: SLOHistory, span: Span) -> int:
    when = _when(h.times)
    period, short = _nan(h.sli, 100), _nan(h.sli_short, 100)
    _shade(ax, h.alerts, span)
    ax.plot(when, short, color=LIGHT, linewidth=1.2, label=f"SLI over {SHORT_WINDOW}", gid=f"series-sli-short-{h.slo}")
    ax.plot(when, period, color=LINE, linewidth=2.2, label=f"SLI over {h.window}", gid=f"series-sli-{h.slo}")
    ax.axhline(h.objective * 100, color="#b2182b", linestyle="--", linewidth=1.2, label=f"objective {h.objective:.4g}")
    known = [v for v in (*period, *short) if not math.isnan(v)]
    low = min([*known, h.objective * 100 - (1 - h.objective) * 100])
    ax.set_ylim(max(low - (100 - low) * 0.08, 0), 100 + (100 - low) * 0.04)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=_pct_digits(h.objective)))
    ax.legend(loc="lower left", fontsize=8.5, frameon=False, ncols=3)
    _time_axis(ax, span)
    return _count(period) + _count(short)


def _budget(ax: Axes, h: SLOHistory, span: Span, thresholds: Sequence[tuple[str, float]]) -> int:
    when = _when(h.times)
    left = _nan(h.budget_remaining, 100)
    _shade(ax, h.alerts, span)
    ax.axhline(0, color="#444444", linewidth=1)
    for name, share in thresholds:
        ax.axhline(share * 100, color="#999999", linestyle=":", linewidth=1)
        ax.annotate(name, (1, share * 100), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
    ax.plot(when, left, color=LINE, linewidth=2.2, label="budget left", gid=f"series-budget-{h.slo}")
    ax.fill_between(when, left, 0, where=[v < 0 for v in left], color="#b2182b", alpha=0.25, linewidth=0)
    known = [v for v in left if not math.isnan(v)]
    ax.set_ylim(min([*known, 0]) - 8, max([*known, 100]) + 5)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel(f"of the {h.window} budget", fontsize=9)
    _time_axis(ax, span)
    return _count(left)


def _hours(value: float, _pos: object = None) -> str:
    return f"{value:.0f}h" if value < 48 else f"{value / 24:.0f}d"


def _exhaustion(ax: Axes, h: SLOHistory, span: Span, horizon: float, window: str) -> int:
    when = _when(h.times)
    cap = horizon * 3 / 3600
    hours = _nan(h.time_to_exhaustion, 1 / 3600, cap)
    _shade(ax, h.alerts, span)
    ax.axhspan(0, horizon / 3600, color="#b2182b", alpha=0.06, linewidth=0)
    ax.axhline(
        horizon / 3600, color="#b2182b", linestyle="--", linewidth=1.2, label=f"alerts under {_hours(horizon / 3600)}"
    )
    ax.plot(
        when, hours, color=LINE, linewidth=2.2, label=f"at the burn over {window}", gid=f"series-exhaustion-{h.slo}"
    )
    ax.set_ylim(0, cap * 1.05)
    known = [v for v in hours if not math.isnan(v)]
    if known and max(known) == 0:  # drawn along the axis, which reads as nothing drawn
        ax.text(0.5, 0.5, "budget spent at every step", transform=ax.transAxes, ha="center", color="#b2182b")
    ax.yaxis.set_major_formatter(FuncFormatter(_hours))
    ax.legend(loc="upper left", fontsize=8.5, frameon=False, ncols=2)
    _time_axis(ax, span)
    return _count(hours)


def _ms(value: float, _pos: object = None) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.3g} s"


def _percentile(ax: Axes, h: SLOHistory, span: Span) -> int:
    when = _when(h.times)
    period, short = _nan(h.percentile), _nan(h.percentile_short)
    assert h.quantile is not None  # drawn only for percentile SLOs
    assert h.threshold is not None
    name = f"P{h.quantile * 100:g}"
    _shade(ax, h.alerts, span)
    ax.plot(when, short, color=LIGHT, linewidth=1.2, label=f"{name} over {SHORT_WINDOW}", gid=f"series-p-short-{h.slo}")
    ax.plot(when, period, color=LINE, linewidth=2.2, label=f"{name} over {h.window}", gid=f"series-p-{h.slo}")
    ax.axhline(h.threshold, color="#b2182b", linestyle="--", linewidth=1.2, label=f"objective {_ms(h.threshold)}")
    known = [v for v in (*period, *short) if not math.isnan(v)]
    ax.set_ylim(0, max([*known, h.threshold]) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(_ms))
    ax.legend(loc="upper left", fontsize=8.5, frameon=False, ncols=3)
    _time_axis(ax, span)
    return _count(period) + _count(short)


def _policy(ax: Axes, report: SLOReport) -> int:
    when = _when(report.span.times)
    ranks = [float(ACTIONS.index(a)) for a in report.actions]
    ax.step(when, ranks, where="post", color=LINE, linewidth=2.2, gid="series-policy")
    ax.scatter(when, ranks, c=[ACTION_COLOURS[a] for a in report.actions], s=10, zorder=3, linewidths=0)
    ax.set_yticks(range(len(ACTIONS)), ACTIONS)
    ax.set_ylim(-0.4, len(ACTIONS) - 0.6)
    _time_axis(ax, report.span)
    return len(ranks)


def _timeline(ax: Axes, alerts: Sequence[AlertEpisode], span: Span) -> int:
    rows = sorted({(a.name, a.slo, a.tier) for a in alerts}, key=lambda r: (r[1], r[0], r[2]))
    index = {row: i for i, row in enumerate(rows)}
    first = span.times[0]
    for row in rows:
        spans = [  # (start, length) in matplotlib's date numbers: days
            (max(a.start, first) / 86400, (max(a.end, a.start + span.step / 4) - max(a.start, first)) / 86400)
            for a in alerts
            if (a.name, a.slo, a.tier) == row
        ]
        ax.broken_barh(
            spans, (index[row] - 0.35, 0.7), color=TIER_COLOURS.get(row[2], "#999999"), gid=f"series-alert-{index[row]}"
        )
    ax.set_yticks(range(len(rows)), [f"{slo or '-'} · {name} · {tier}" for name, slo, tier in rows], fontsize=8.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _time_axis(ax, span)
    return sum(1 for _ in alerts)


CAPTIONS = {
    "sli": "The share of good events over the SLO's period and over the last hour, against the objective.",
    "percentile": "The percentile over the SLO's period and over the last hour, against its threshold.",
    "budget": "Share of the error budget left at each step; dotted lines are the policy's budget steps.",
    "exhaustion": "How long the budget lasts at the current burn (capped at three horizons; gaps: not burning).",
}


def _slo_charts(report: SLOReport, h: SLOHistory) -> list[Chart]:
    span = report.span
    drawers: list[tuple[str, str, Callable[[Axes], int]]] = [
        ("sli", "SLI against the objective", lambda ax: _sli(ax, h, span))
    ]
    if h.quantile is not None and h.threshold is not None:
        drawers.append(
            ("percentile", f"P{h.quantile * 100:g} against its objective", lambda ax: _percentile(ax, h, span))
        )
    drawers.append(("budget", "Error budget burn-down", lambda ax: _budget(ax, h, span, report.thresholds)))
    horizon = report.horizon_seconds
    if horizon is not None and any(v is not None for v in h.time_to_exhaustion):
        window = report.exhaustion_window or ""
        drawers.append(("exhaustion", "Time to exhaustion", lambda ax: _exhaustion(ax, h, span, horizon, window)))
    out = []
    for kind, title, draw in drawers:
        key = f"{kind}-{h.slo}"
        svg, points = _draw(key, draw)
        out.append(Chart(key, h.slo, title, CAPTIONS[kind], svg, points))
    return out


def charts(report: SLOReport) -> list[Chart]:
    """Every chart of the report: the policy over time and the alert timeline, then each SLO's charts.

    An SLO without events in the range gets no chart (the page says so) rather than an empty one.
    """
    out: list[Chart] = []
    if report.actions:
        svg, points = _draw("policy", lambda ax: _policy(ax, report), (SIZE[0], 2.0))
        out.append(Chart("policy", None, "Budget policy over time", "The policy's decision at each step.", svg, points))
    if report.alerts:
        rows = len({(a.name, a.slo, a.tier) for a in report.alerts})
        svg, points = _draw(
            "alerts", lambda ax: _timeline(ax, report.alerts, report.span), (SIZE[0], 0.42 * rows + 1.1)
        )
        caption = "Each bar is an alert firing, coloured by its tier."
        out.append(Chart("alerts", None, "Alerts that fired", caption, svg, points))
    for h in report.slos:
        if h.has_data:
            out += _slo_charts(report, h)
    return out
