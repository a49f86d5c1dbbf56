"""Service overview: traffic, errors, latency by route, requests in flight, status classes."""

from __future__ import annotations

from dashboards import objectives
from dashboards.board import Board, environment_variable, instance_variable
from dashboards.panels import Line, Query, stat_panel, timeseries_panel
from dashboards.promql import eq, quantile, rate, sel, share, spec_matchers
from slo.model import LatencyIndicator, Spec
from telemetry import conventions as c

UID = "todochat-service"
MEDIAN = 0.5

HTTP = c.HTTP_SERVER_DURATION
HTTP_COUNT = f"{HTTP}_count"
SERVER_ERROR = eq(c.LABEL_STATUS_CLASS, "5xx")


def _percentile_label(q: float) -> str:
    return f"P{q * 100:g}"


def board(spec: Spec) -> Board:
    """The service overview dashboard."""
    b = Board(
        UID,
        "Todo AI Chatbot / Service overview",
        "Requests, errors and latency of the API and the MCP server, by route.",
        file_name="service-overview.json",
    )
    b.variables(environment_variable(), instance_variable())
    budget = objectives.error_budget_lines(spec, HTTP)
    rollback = objectives.rollback_lines(spec, "error_ratio")
    percentiles = sorted({MEDIAN, *objectives.latency_objectives(spec, HTTP)})
    headline = max(percentiles)
    headline_slo = objectives.latency_objectives(spec, HTTP).get(headline)
    # The headline number is the SLO's own view: same routes, so the same threshold applies.
    ind = headline_slo.indicator if headline_slo else None
    headline_matchers = spec_matchers(ind.buckets) if isinstance(ind, LatencyIndicator) else ()
    headline_scope = f" ({headline_slo.description})" if headline_slo else ""

    b.row("Now")
    b.add(
        stat_panel(
            "Requests/s",
            "Requests answered per second, every route.",
            [Query(rate(HTTP_COUNT))],
            unit="reqps",
        ),
        stat_panel(
            "Error ratio",
            "Share of requests answered with a server error (5xx).",
            [Query(share(HTTP_COUNT, [SERVER_ERROR]))],
            unit="percentunit",
            lines=[Line(x.value, x.color) for x in (*budget, *rollback)],
        ),
        stat_panel(
            f"{_percentile_label(headline)} latency",
            f"Response time over the routes its objective covers{headline_scope}.",
            [Query(quantile(headline, HTTP, *headline_matchers))],
            unit="s",
            lines=objectives.latency_line(spec, HTTP, headline),
        ),
        stat_panel(
            "Targets up",
            "Scraped processes that answered their last scrape.",
            [Query(f"sum({sel('up')})")],
            unit="none",
            base="red",
            lines=[Line(1, "green")],
        ),
    )

    b.row("Traffic and errors")
    b.add(
        timeseries_panel(
            "Requests/s by route",
            "Requests per second by route template (unmatched paths are one series).",
            [Query(rate(HTTP_COUNT, by=[c.LABEL_ROUTE]), "{{" + c.LABEL_ROUTE + "}}")],
            unit="reqps",
        ),
        timeseries_panel(
            "Error ratio",
            "Share of requests answered with a server error (5xx). Dashed: the availability SLO's error budget "
            "(orange) and the rollback trigger (red).",
            [Query(share(HTTP_COUNT, [SERVER_ERROR]), "5xx share")],
            unit="percentunit",
            lines=[*budget, *rollback],
            min_value=0,
        ),
        timeseries_panel(
            "Responses by status class",
            "Responses per second by status class.",
            [Query(rate(HTTP_COUNT, by=[c.LABEL_STATUS_CLASS]), "{{" + c.LABEL_STATUS_CLASS + "}}")],
            unit="reqps",
            stacked=True,
        ),
        timeseries_panel(
            "Requests in flight",
            "Requests being answered right now, by instance.",
            [Query(f"sum by ({c.LABEL_INSTANCE})({sel(c.HTTP_SERVER_ACTIVE_REQUESTS)})", "{{instance}}")],
            unit="none",
            min_value=0,
        ),
    )

    b.row("Latency by route")
    for q in percentiles:
        label = _percentile_label(q)
        b.add(
            timeseries_panel(
                f"{label} latency by route",
                f"{label} response time by route; dots are exemplars that open the request's trace."
                + (" Dashed: the SLO threshold." if objectives.latency_line(spec, HTTP, q) else ""),
                [Query(quantile(q, HTTP, by=[c.LABEL_ROUTE]), "{{" + c.LABEL_ROUTE + "}}", exemplars=True)],
                unit="s",
                lines=objectives.latency_line(spec, HTTP, q),
                width=8,
            )
        )
    return b
