"""Capacity: each scale-out signal against its threshold, the database pool and rate-limit rejections.

The four signals are computed per instance over the spec's scaling window, as the scale-out rules see them.
"""

from __future__ import annotations

from dashboards import objectives
from dashboards.board import Board, environment_variable, instance_variable
from dashboards.panels import NEEDS_REJECTION, Line, Query, timeseries_panel
from dashboards.promql import average, quantile, rate, rule, sel
from slo.durations import format_duration
from slo.model import Spec
from telemetry import conventions as c

UID = "todochat-capacity"
P95 = 0.95
INSTANCE = c.LABEL_INSTANCE
BY_INSTANCE = "{{" + INSTANCE + "}}"


def board(spec: Spec) -> Board:
    """The capacity dashboard."""
    policy = objectives.scaling(spec)
    window = format_duration(policy.window_seconds)
    b = Board(
        UID,
        "Todo AI Chatbot / Capacity",
        f"Scale-out signals per instance over {window} against the thresholds of the SLO spec, "
        "the database pool and rate limiting.",
        file_name="capacity.json",
    )
    b.variables(environment_variable(), instance_variable())

    b.row(f"Scale-out signals (per instance, over {window})")
    b.add(
        timeseries_panel(
            "CPU",
            f"Process CPU seconds per second over {policy.cpu_cores:g} core(s). Dashed: scale out at "
            f"{policy.cpu_ratio:.0%}.",
            [
                Query(
                    f"sum by ({INSTANCE})(rate({sel(c.PROCESS_CPU)}[{window}])) / {policy.cpu_cores:g}",
                    BY_INSTANCE,
                )
            ],
            unit="percentunit",
            lines=[Line(policy.cpu_ratio)],
            min_value=0,
        ),
        timeseries_panel(
            "Memory",
            f"Resident memory over the memory available to the process. Dashed: scale out at "
            f"{policy.memory_ratio:.0%}.",
            [
                Query(
                    f"max by ({INSTANCE})({sel(c.PROCESS_RESIDENT_MEMORY)})"
                    f" / max by ({INSTANCE})({sel(c.PROCESS_MEMORY_LIMIT)})",
                    BY_INSTANCE,
                )
            ],
            unit="percentunit",
            lines=[Line(policy.memory_ratio)],
            min_value=0,
        ),
        timeseries_panel(
            "Requests/s",
            f"Requests answered per second. Dashed: scale out at {policy.requests_per_second:g}/s.",
            [Query(rate(f"{c.HTTP_SERVER_DURATION}_count", by=[INSTANCE], window=window), BY_INSTANCE)],
            unit="reqps",
            lines=[Line(policy.requests_per_second)],
            min_value=0,
        ),
        timeseries_panel(
            "Average response time",
            f"Mean response time. Dashed: scale out at {policy.average_response_seconds:g} s.",
            [Query(average(c.HTTP_SERVER_DURATION, by=[INSTANCE], window=window), BY_INSTANCE)],
            unit="s",
            lines=[Line(policy.average_response_seconds)],
            min_value=0,
        ),
        timeseries_panel(
            "Utilisation of each scale-out threshold",
            "Each signal over its threshold, as the scale-out rules record it (1 = at the threshold).",
            [
                Query(
                    rule(c.RULE_SCALING_UTILISATION, f'{INSTANCE}=~"$instance"'),
                    "{{" + INSTANCE + "}} {{" + c.LABEL_SIGNAL + "}}",
                )
            ],
            unit="percentunit",
            lines=[Line(1.0)],
            min_value=0,
            width=24,
        ),
    )

    b.row("Database and rate limits")
    b.add(
        timeseries_panel(
            "Database connections",
            "Connections in use, the configured pool size, and connections opened beyond it.",
            [
                Query(f"sum by ({INSTANCE})({sel(c.DB_POOL_CHECKED_OUT)})", f"in use {BY_INSTANCE}"),
                Query(f"sum by ({INSTANCE})({sel(c.DB_POOL_SIZE)})", f"pool size {BY_INSTANCE}"),
                Query(f"sum by ({INSTANCE})({sel(c.DB_POOL_OVERFLOW)})", f"overflow {BY_INSTANCE}"),
            ],
            unit="none",
            min_value=0,
            width=8,
        ),
        timeseries_panel(
            f"Connection wait P{P95 * 100:g}",
            "Time a request waits for a database connection; dots are exemplars that open the trace.",
            [Query(quantile(P95, c.DB_POOL_WAIT, by=[INSTANCE]), BY_INSTANCE, exemplars=True)],
            unit="s",
            min_value=0,
            width=8,
        ),
        timeseries_panel(
            f"Database statement time P{P95 * 100:g}",
            "Time the database takes per statement, by operation and table "
            f"({c.DB_CLIENT_OPERATION_DURATION}); dots are exemplars that open the trace.",
            [
                Query(
                    quantile(P95, c.DB_CLIENT_OPERATION_DURATION, by=[c.LABEL_DB_OPERATION, c.LABEL_DB_COLLECTION]),
                    "{{" + c.LABEL_DB_OPERATION + "}} {{" + c.LABEL_DB_COLLECTION + "}}",
                    exemplars=True,
                )
            ],
            unit="s",
            min_value=0,
            width=8,
        ),
        timeseries_panel(
            "Rate-limit rejections",
            "Requests refused with 429 per second, by quota (user, ip, login, chat).",
            [
                Query(
                    rate(c.RATE_LIMIT_REJECTIONS, by=[c.LABEL_LIMIT_SCOPE]),
                    "{{" + c.LABEL_LIMIT_SCOPE + "}}",
                    needs=NEEDS_REJECTION,
                )
            ],
            unit="reqps",
            min_value=0,
            width=8,
        ),
    )
    return b
