"""The SLO report as one self-contained HTML page, or as Markdown with its charts in files beside it. Pure.

The HTML carries its charts inline as SVG and its style in the page: nothing to fetch, so it opens from a CI
artifact or a mail attachment as it is. Markdown cannot inline SVG everywhere (GitHub strips data URIs), so
`markdown()` returns the text and the chart files it links to, under `charts_dir` relative to the Markdown file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from slo.durations import format_duration
from slo.report import duration, pct
from slo.report_charts import ACTION_COLOURS, TIER_COLOURS, Chart
from slo.report_model import AlertEpisode, SLOHistory, SLOReport

CSS = """
:root { color-scheme: light; --ink: #1d232a; --muted: #5b6570; --rule: #d8dde3; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); }
main { max-width: 1280px; margin: 0 auto; padding: 16px clamp(12px, 3vw, 32px) 48px; }
h1 { font-size: 1.6rem; margin: 8px 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 16px 0 4px; }
p.meta, .muted { color: var(--muted); }
.decision { border-left: 6px solid var(--action); background: var(--panel); padding: 10px 16px; margin: 16px 0; }
.decision strong { color: var(--action); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 5px 10px 5px 0; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { font-weight: 600; white-space: nowrap; }
td.num, td:first-child { font-variant-numeric: tabular-nums; white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 12px 24px; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85rem; color: var(--muted); }
figcaption b { color: var(--ink); }
.tier { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 0.8rem; }
.status-breached { color: #b2182b; font-weight: 600; }
nav { display: flex; flex-wrap: wrap; gap: 2px 14px; }
"""


def lasted(seconds: float) -> str:
    """A stretch of time as people say it: minutes under two hours, then hours, then days."""
    if seconds < 60:
        return "under a minute"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return duration(seconds)


def _time(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _objective(h: SLOHistory) -> str:
    text = pct(h.objective, 2)
    if h.quantile is not None and h.threshold is not None:
        return f"P{h.quantile * 100:g} ≤ {h.threshold:g} s ({text})"
    if h.threshold is not None:
        return f"{text} ≤ {h.threshold:g} s"
    return text


def _step(h: SLOHistory) -> str:
    if h.decision is None:
        return "-"
    return h.decision.action if h.decision.step is None else f"{h.decision.action} ({h.decision.step})"


def summary_rows(report: SLOReport) -> list[list[str]]:
    """One row per SLO: objective, SLI and budget at the end, budget spent in the range, exhaustion, policy, alerts."""
    rows = []
    for h in report.slos:
        f = h.final
        rows.append(
            [
                h.slo,
                _objective(h),
                pct(f.sli),
                f.status,
                pct(f.error_budget_remaining, 1),
                pct(None if h.budget_spent is None else round(h.budget_spent, 4) + 0.0, 1),
                duration(f.time_to_exhaustion),
                _step(h),
                str(len(h.alerts)),
            ]
        )
    return rows


SUMMARY = ["SLO", "objective", "SLI", "status", "budget left", "spent in range", "exhausts in", "policy", "alerts"]
ALERT_HEADERS = ["alert", "SLO", "tier", "from", "to", "for", "labels"]


def alert_rows(alerts: Sequence[AlertEpisode]) -> list[list[str]]:
    return [
        [
            a.name,
            a.slo or "-",
            a.tier or "-",
            _time(a.start),
            "still firing" if a.ongoing else _time(a.end),
            lasted(a.seconds),
            ", ".join(f"{k}={v}" for k, v in a.labels if k != "severity") or "-",
        ]
        for a in alerts
    ]


RECOVERY_HEADERS = ["objective", "status", "measured", "evidence age", "limits"]


def recovery_rows(report: SLOReport) -> list[list[str]]:
    """Recovery objectives (RTO, RPO, backup age) as evaluated at the end of the range."""
    return [
        [g.slo, g.status, duration(g.value), duration(g.age_of_evidence), _limits(g.thresholds)]
        for g in report.recovery
    ]


def _range_text(report: SLOReport) -> str:
    span = report.span
    return (
        f"{_time(span.times[0])} to {_time(span.end)} ({span.label}, a point every {format_duration(round(span.step))})"
    )


def _decision_text(report: SLOReport) -> tuple[str, str]:
    d = report.decision
    if d is None:
        return "none", "This spec has no budget policy."
    detail = f"Set by SLO {d.slo}, step {d.step}: {d.why}. {d.reason}" if d.slo is not None else d.reason
    return d.action, detail


# -- HTML --------------------------------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in numeric else ''}>{escape(cell)}</td>" for i, cell in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure(chart: Chart) -> str:
    return (
        f'<figure class="chart" id="chart-{escape(chart.key)}" data-points="{chart.points}">'
        f"<figcaption><b>{escape(chart.title)}</b> · {escape(chart.caption)}</figcaption>{chart.svg}</figure>"
    )


def _slo_section(h: SLOHistory, charts: Sequence[Chart]) -> str:
    f = h.final
    facts = (
        f"objective {_objective(h)} over {h.window} · SLI {pct(f.sli)} · budget left {pct(f.error_budget_remaining, 1)}"
        f" · exhausts in {duration(f.time_to_exhaustion)} · policy {_step(h)}"
    )
    status = f'<span class="status-{escape(f.status)}">{escape(f.status)}</span>'
    parts = [f'<section class="slo" id="slo-{escape(h.slo)}"><h2>{escape(h.slo)} · {status}</h2>']
    if h.description:
        parts.append(f"<p>{escape(h.description)}</p>")
    parts.append(f'<p class="muted">{escape(facts)}</p>')
    if h.decision is not None and h.decision.why:
        parts.append(f'<p class="muted">Policy: {escape(h.decision.why)}</p>')
    if charts:
        parts.append('<div class="charts">' + "".join(_figure(c) for c in charts) + "</div>")
    else:
        parts.append("<p>No events for this SLO in the range: nothing to chart.</p>")
    if h.alerts:
        parts.append("<h3>Alerts</h3>" + _table(ALERT_HEADERS, alert_rows(h.alerts)))
    return "".join(parts) + "</section>"


def html(report: SLOReport, charts: Sequence[Chart], prometheus: str = "") -> str:
    """The whole report as one HTML page: inline SVG charts, inline style, no scripts, nothing external."""
    by_slo: dict[str | None, list[Chart]] = {}
    for chart in charts:
        by_slo.setdefault(chart.slo, []).append(chart)
    summary = {c.key: c for c in by_slo.get(None, [])}
    span = report.span
    action, detail = _decision_text(report)
    meta = _range_text(report)
    meta += f" · spec {report.source}" + (f" · Prometheus {prometheus}" if prometheus else "")
    body = [
        f"<h1>SLO report: {escape(report.service)}</h1>",
        f'<p class="meta">{escape(meta)}</p>',
        "<nav>" + "".join(f'<a href="#slo-{escape(h.slo)}">{escape(h.slo)}</a>' for h in report.slos) + "</nav>",
        f'<section class="decision" style="--action: {ACTION_COLOURS[action]}">'
        f"<h2>Budget policy: <strong>{escape(action)}</strong></h2><p>{escape(detail)}</p></section>",
    ]
    if "policy" in summary:
        body.append(f'<div class="charts">{_figure(summary["policy"])}</div>')
    body += ["<h2>SLOs</h2>", _table(SUMMARY, summary_rows(report), numeric=(2, 4, 5, 6, 8))]
    body.append("<h2>Alerts that fired</h2>")
    if report.alerts:
        body.append(f'<div class="charts">{_figure(summary["alerts"])}</div>' if "alerts" in summary else "")
        body.append(_table(ALERT_HEADERS, alert_rows(report.alerts)))
    else:
        body.append("<p>No alert fired in this range.</p>")
    body += [_slo_section(h, by_slo.get(h.slo, [])) for h in report.slos]
    if report.recovery:
        body += ["<h2>Recovery objectives (at the end)</h2>", _table(RECOVERY_HEADERS, recovery_rows(report))]
    legend = " ".join(
        f'<span class="tier" style="background:{colour}">{tier}</span>' for tier, colour in TIER_COLOURS.items()
    )
    body.append(f'<p class="muted">Alert tiers: {legend}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SLO report: {escape(report.service)} ({escape(span.label)})</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _limits(thresholds: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{tier} {duration(seconds)}" for tier, seconds in thresholds)


# -- Markdown ----------------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(
    report: SLOReport, charts: Sequence[Chart], charts_dir: str, prometheus: str = ""
) -> tuple[str, dict[str, str]]:
    """The report as Markdown, and its chart files ({path relative to the Markdown file: SVG text})."""
    files = {f"{charts_dir}/{c.key}.svg": '<?xml version="1.0" encoding="utf-8"?>\n' + c.svg for c in charts}

    def image(chart: Chart) -> str:
        return f"![{chart.title}: {chart.caption}]({charts_dir}/{chart.key}.svg)"

    by_slo: dict[str | None, list[Chart]] = {}
    for chart in charts:
        by_slo.setdefault(chart.slo, []).append(chart)
    summary = {c.key: c for c in by_slo.get(None, [])}
    action, detail = _decision_text(report)
    out = [
        f"# SLO report: {report.service}",
        f"{_range_text(report)}; spec {report.source}" + (f"; Prometheus {prometheus}" if prometheus else ""),
        f"## Budget policy: **{action}**",
        detail,
    ]
    if "policy" in summary:
        out.append(image(summary["policy"]))
    out += ["## SLOs", _md_table(SUMMARY, summary_rows(report)), "## Alerts that fired"]
    if report.alerts:
        if "alerts" in summary:
            out.append(image(summary["alerts"]))
        out.append(_md_table(ALERT_HEADERS, alert_rows(report.alerts)))
    else:
        out.append("No alert fired in this range.")
    for h in report.slos:
        f = h.final
        out.append(f"## {h.slo} ({f.status})")
        if h.description:
            out.append(h.description)
        out.append(
            f"Objective {_objective(h)} over {h.window}; SLI {pct(f.sli)};"
            f" budget left {pct(f.error_budget_remaining, 1)}; exhausts in {duration(f.time_to_exhaustion)};"
            f" policy {_step(h)}."
        )
        mine = by_slo.get(h.slo, [])
        out += [image(c) for c in mine] or ["No events for this SLO in the range: nothing to chart."]
        if h.alerts:
            out.append(_md_table(ALERT_HEADERS, alert_rows(h.alerts)))
    if report.recovery:
        out += ["## Recovery objectives (at the end)", _md_table(RECOVERY_HEADERS, recovery_rows(report))]
    return "\n\n".join(out) + "\n", files
