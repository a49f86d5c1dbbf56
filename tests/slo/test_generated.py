"""Generated rules, promtool suites and Alertmanager config: committed, current, and accepted by the real tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from slo.cli import ALERTS_DIR
from slo.generate import generated_files, write_files
from slo.load import load_spec
from tests.support import require_tool

SPEC_LABEL = "slo/specs/todo-chatbot.yaml"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generated_files(load_spec(), SPEC_LABEL)


def test_committed_generated_files_equal_what_the_generator_makes_now(files: dict[str, str]) -> None:
    stale = [
        rel for rel, text in files.items() if not (ALERTS_DIR / rel).is_file() or (ALERTS_DIR / rel).read_text() != text
    ]
    assert not stale, f"run `todochat slo rules`: out of date: {stale}"
    committed = {p.name for p in (ALERTS_DIR / "tests" / "generated").glob("*.test.yaml")}
    assert committed == {Path(rel).name for rel in files if rel.startswith("tests/generated/")}


def test_every_alert_has_a_tier_an_slo_and_links(files: dict[str, str]) -> None:
    alerts = [
        rule
        for name, text in files.items()
        if name.endswith(".rules.yaml")
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert alerts
    for rule in alerts:
        assert rule["labels"]["severity"] in ("critical", "high", "medium", "low")
        assert rule["labels"]["slo"]
        assert {"runbook_url", "dashboard_url", "summary"} <= set(rule["annotations"])
    tiers = {r["labels"]["severity"] for r in alerts if r["alert"] == "SLOErrorBudgetBurn"}
    assert tiers == {"critical", "high", "medium", "low"}


def test_alertmanager_routes_by_tier_and_inhibits_lower_tiers(files: dict[str, str]) -> None:
    config = yaml.safe_load(files["alertmanager.yml"])
    routes = {r["matchers"][0]: r["receiver"] for r in config["route"]["routes"]}
    assert routes == {
        'severity="critical"': "page",
        'severity="high"': "page",
        'severity="medium"': "ticket",
        'severity="low"': "digest",
    }
    inhibit = {(i["source_matchers"][0], i["target_matchers"][0]) for i in config["inhibit_rules"]}
    assert ('severity="critical"', 'severity=~"high|medium|low"') in inhibit
    assert ('severity="medium"', 'severity=~"low"') in inhibit
    assert all(i["equal"] == ["slo"] for i in config["inhibit_rules"])


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def test_promtool_accepts_the_committed_rules() -> None:
    promtool = require_tool("promtool")
    result = _run(promtool, "check", "rules", *sorted(str(p) for p in ALERTS_DIR.glob("*.rules.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_suites_pass_generated_and_hand_written() -> None:
    promtool = require_tool("promtool")
    suites = sorted(str(p) for p in (ALERTS_DIR / "tests").rglob("*.test.yaml"))
    assert any(s.endswith("tiers.test.yaml") for s in suites)
    result = _run(promtool, "test", "rules", *suites)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_suites_fail_when_an_expectation_is_wrong(tmp_path: Path, files: dict[str, str]) -> None:
    promtool = require_tool("promtool")
    write_files(files, tmp_path)
    suite = tmp_path / "tests" / "generated" / "api-availability.test.yaml"
    suite.write_text(suite.read_text().replace("severity: critical", "severity: low", 1))
    result = _run(promtool, "test", "rules", str(suite))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_the_generated_forecast_check_fails_when_the_engine_and_the_rule_disagree(
    tmp_path: Path, files: dict[str, str]
) -> None:
    promtool = require_tool("promtool")
    write_files(files, tmp_path)
    suite = tmp_path / "tests" / "generated" / "api-availability.test.yaml"
    content = yaml.safe_load(suite.read_text())
    checks = [e for t in content["tests"] for e in t.get("promql_expr_test", [])]
    assert len(checks) == 3  # one per scenario: a burst, a calm service, a slow leak
    leak = checks[-1]
    value = leak["expr"].split(" - ")[1].split(")")[0]
    leak["expr"] = leak["expr"].replace(value, str(float(value) * 1.001))
    suite.write_text(yaml.safe_dump(content, sort_keys=False))
    result = _run(promtool, "test", "rules", str(suite))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_amtool_accepts_the_alertmanager_config() -> None:
    amtool = require_tool("amtool")
    result = _run(amtool, "check-config", str(ALERTS_DIR / "alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_links_to_a_runbook_section_that_exists(files: dict[str, str]) -> None:
    headings = {
        line.removeprefix("## ").strip()
        for line in (ALERTS_DIR / "RUNBOOK.md").read_text().splitlines()
        if line.startswith("## ")
    }
    anchors = {
        rule["annotations"]["runbook_url"].split("#")[1]
        for name, text in files.items()
        if name.endswith(".rules.yaml")
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert "error-budget-exhaustion-forecast" in anchors
    assert anchors <= headings, f"no runbook section for {sorted(anchors - headings)}"
