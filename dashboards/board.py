"""A dashboard being built: the SDK builder plus every panel's queries, and the shared template variables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from dashboards.datasources import PROMETHEUS_REF
from dashboards.panels import Panel, Query
from dashboards.promql import ENV_LABEL, ENV_VAR, INSTANCE_VAR, sel
from telemetry import conventions as c

TAG: Final = "todochat"
ALL: Final = ".*"  # the "All" choice matches every value, and series without the label
# A series every process of the service exposes from the start, so the variables list real targets.
PRESENCE_SERIES: Final = c.HTTP_SERVER_ACTIVE_REQUESTS


def environment_variable() -> dashboard_b.QueryVariable:
    """`$env`: the `deployment_environment` label values."""
    return (
        dashboard_b.QueryVariable(ENV_VAR)
        .label("Environment")
        .description(f"The {ENV_LABEL} label, set by the scrape config or the OTLP resource.")
        .datasource(PROMETHEUS_REF)
        .query(f"label_values({PRESENCE_SERIES}, {ENV_LABEL})")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .include_all(True)
        .all_value(ALL)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )


def instance_variable() -> dashboard_b.QueryVariable:
    """`$instance`: the scraped processes of the chosen environment."""
    in_env = sel(PRESENCE_SERIES, f'{ENV_LABEL}=~"${ENV_VAR}"', scoped=False)
    return (
        dashboard_b.QueryVariable(INSTANCE_VAR)
        .label("Instance")
        .datasource(PROMETHEUS_REF)
        .query(f"label_values({in_env}, {c.LABEL_INSTANCE})")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(model.VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


class Board:
    """One dashboard: add rows and panels in reading order; panels get stable ids in that order."""

    def __init__(self, uid: str, title: str, description: str, *, file_name: str) -> None:
        self.uid = uid
        self.title = title
        self.file_name = file_name
        self.panels: list[Panel] = []
        self.builder = (
            dashboard_b.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags([TAG])
            .time("now-3h", "now")
            .refresh("30s")
            .timezone("browser")
            .tooltip(model.DashboardCursorSync.CROSSHAIR)
            .link(
                dashboard_b.DashboardLink("Todo AI Chatbot")
                .type(model.DashboardLinkType.DASHBOARDS)
                .tags([TAG])
                .as_dropdown(True)
                .include_vars(True)
                .keep_time(True)
            )
        )
        self._next_id = 1

    def variables(self, *variables: dashboard_b.QueryVariable | dashboard_b.CustomVariable) -> Board:
        """Add template variables, in order."""
        for variable in variables:
            self.builder = self.builder.with_variable(variable)
        return self

    def row(self, title: str) -> Board:
        """Start a new row."""
        self.builder = self.builder.with_row(dashboard_b.Row(title).id(self._take_id()))
        return self

    def add(self, *panels: Panel) -> Board:
        """Place panels left to right, wrapping at the grid's width."""
        for panel in panels:
            panel.builder.id(self._take_id())
            self.builder = self.builder.with_panel(panel.builder)
            self.panels.append(panel)
        return self

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def queries(self) -> list[tuple[str, Query]]:
        """(panel title, query) for every query of the dashboard, in panel order."""
        return [(panel.title, q) for panel in self.panels for q in panel.queries]

    def document(self) -> dict[str, Any]:
        """The dashboard JSON model, as plain data."""
        data: dict[str, Any] = json.loads(json.dumps(self.builder.build(), cls=JSONEncoder))
        return data


def panel_exprs(document: dict[str, Any]) -> list[str]:
    """Every target expression of a dashboard JSON model (rows' nested panels included)."""
    out: list[str] = []

    def visit(panels: Sequence[dict[str, Any]]) -> None:
        for panel in panels:
            out.extend(str(t["expr"]) for t in panel.get("targets") or [] if "expr" in t)
            visit(panel.get("panels") or [])

    visit(document.get("panels") or [])
    return out
