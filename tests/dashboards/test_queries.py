"""Every panel query parses (promtool) and names only metrics, rules and labels the project defines."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import Histogram

from dashboards.board import Board, panel_exprs
from dashboards.promql import ENV_LABEL, ENV_VAR, INSTANCE_VAR, RATE_WINDOW, SLO_VAR
from slo.model import Spec
from slo.rules import rule_files
from telemetry import conventions as c
from telemetry import metrics
from tests.dashboards.conftest import substitute, variables_used
from tests.support import require_tool

VALUES = {RATE_WINDOW.removeprefix("$"): "1m", ENV_VAR: ".*", INSTANCE_VAR: ".*", SLO_VAR: ".*"}
BUILTIN_SERIES = {"ALERTS", "up"}  # written by Prometheus itself
BUILTIN_LABELS = {"alertstate", "job", ENV_LABEL}  # ENV_LABEL: a target label the scrape config sets


def _all_queries(built: list[Board]) -> list[tuple[str, str, str]]:
    return [(b.title, title, q.expr) for b in built for title, q in b.queries()]


def _names(spec: Spec) -> set[str]:
    """Series a dashboard may read: conventions names, histogram parts, generated recording rules, built-ins."""
    conventions = {v for k, v in vars(c).items() if k.isupper() and isinstance(v, str)}
    histograms = {m._name for m in vars(metrics).values() if isinstance(m, Histogram)} & conventions
    parts = {f"{h}_{suffix}" for h in histograms for suffix in ("bucket", "count", "sum")}
    recorded = {
        r["record"]
        for content in rule_files(spec).values()
        for g in content["groups"]
        for r in g["rules"]
        if "record" in r
    }
    return conventions | parts | recorded | BUILTIN_SERIES


def _walk(node: Any, series: set[str], labels: set[str]) -> None:
    if isinstance(node, promql_parser.VectorSelector):
        if node.name:
            series.add(node.name)
        labels.update(m.name for m in node.matchers.matchers)
        return
    if isinstance(node, promql_parser.MatrixSelector):
        _walk(node.vector_selector, series, labels)
        return
    if isinstance(node, promql_parser.AggregateExpr):
        if node.modifier is not None:
            labels.update(node.modifier.labels)
        _walk(node.expr, series, labels)
        if node.param is not None:
            _walk(node.param, series, labels)
        return
    if isinstance(node, promql_parser.BinaryExpr):
        modifier = node.modifier
        if modifier is not None and modifier.matching is not None:
            labels.update(modifier.matching.labels)
        _walk(node.lhs, series, labels)
        _walk(node.rhs, series, labels)
        return
    if isinstance(node, promql_parser.Call):
        for arg in node.args:
            _walk(arg, series, labels)
        return
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr):
        _walk(node.expr, series, labels)


def test_every_panel_query_parses_with_promtool(built: list[Board], tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    queries = _all_queries(built)
    rules = [
        {"record": f"dashboard:query_{i}", "expr": substitute(expr, VALUES)} for i, (_, _, expr) in enumerate(queries)
    ]
    path = tmp_path / "panels.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}, width=10_000))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
    assert len(rules) >= 60


def test_promtool_refuses_a_broken_query(tmp_path: Path) -> None:
    """The parse check above can fail: promtool rejects what Grafana would show as a query error."""
    promtool = require_tool("promtool")
    path = tmp_path / "broken.rules.yaml"
    rule = {"record": "dashboard:broken", "expr": "sum by (le(rate(x[1m]))"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": [rule]}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


def test_every_panel_query_reads_only_defined_metrics_and_rules(built: list[Board], spec: Spec) -> None:
    known = _names(spec)
    for board, title, expr in _all_queries(built):
        series: set[str] = set()
        _walk(promql_parser.parse(substitute(expr, VALUES)), series, set())
        assert series, f"{board} / {title}: reads no series"
        assert series <= known, f"{board} / {title}: unknown series {sorted(series - known)}"


def test_every_label_a_query_uses_is_defined(built: list[Board]) -> None:
    known = {v for k, v in vars(c).items() if k.startswith("LABEL_")} | BUILTIN_LABELS
    for board, title, expr in _all_queries(built):
        labels: set[str] = set()
        _walk(promql_parser.parse(substitute(expr, VALUES)), set(), labels)
        labels.discard("__name__")
        assert labels <= known, f"{board} / {title}: unknown labels {sorted(labels - known)}"


@pytest.mark.parametrize(
    ("expr", "unknown"),
    [
        ("sum(rate(http_server_requests_total[1m]))", "http_server_requests_total"),
        ('slo:error_ratio{slo="x"} / slo:made_up', "slo:made_up"),
    ],
    ids=["a-renamed-metric", "a-rule-the-engine-does-not-generate"],
)
def test_the_name_check_catches_names_nobody_defines(spec: Spec, expr: str, unknown: str) -> None:
    series: set[str] = set()
    _walk(promql_parser.parse(expr), series, set())
    assert unknown in series - _names(spec)


def test_queries_use_only_variables_their_dashboard_defines(built: list[Board]) -> None:
    for b in built:
        document = b.document()
        defined = {v["name"] for v in document["templating"]["list"]} | {RATE_WINDOW.removeprefix("$")}
        for title, q in b.queries():
            assert variables_used(q.expr) <= defined, (b.title, title)


def test_the_json_holds_exactly_the_queries_the_builder_documents(built: list[Board]) -> None:
    for b in built:
        assert panel_exprs(b.document()) == [q.expr for _, q in b.queries()]
