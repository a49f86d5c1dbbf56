"""The alert rules generated from the SLO spec fire on the recovery metrics: stale backup, failed drill, RPO breach.

Runs the real `promtool check rules` and `promtool test rules` on the rules the spec generates now.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.load import load_spec
from slo.rules import rule_files
from telemetry import conventions as c

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None and os.environ.get("CI") != "true", reason="promtool is not installed (Debian: prometheus)"
)
RULES = "recovery.rules.yaml"


def recovery_rules(tmp_path: Path) -> list[dict[str, Any]]:
    content = rule_files(load_spec())[RULES]
    (tmp_path / RULES).write_text(yaml.safe_dump(content, sort_keys=False))
    return [rule for group in content["groups"] for rule in group["rules"] if "alert" in rule]


def expected(rules: list[dict[str, Any]], alert: str, slo: str, severity: str) -> dict[str, Any]:
    rule = next(r for r in rules if r["alert"] == alert and r["labels"] == {"severity": severity, "slo": slo})
    return {"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool must be installed in CI"
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def series(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"series": name, "values": v} for name, v in values.items()]


def test_generated_recovery_rules_pass_promtool_check(tmp_path: Path) -> None:
    recovery_rules(tmp_path)

    result = promtool("check", "rules", RULES, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stale_backup_a_failed_drill_and_a_long_rpo_fire_and_healthy_figures_do_not(tmp_path: Path) -> None:
    rules = recovery_rules(tmp_path)
    # A backup and a drill at time 0 that failed and measured a 10-minute data-loss window; then nothing for 30 h.
    broken = series(
        {
            c.BACKUP_LAST_SUCCESS: "0+0x1800",
            c.RESTORE_DRILL_LAST_RUN: "0+0x1800",
            c.RESTORE_DRILL_SUCCESS: "0+0x1800",
            c.RESTORE_DRILL_RTO: "5+0x1800",
            c.RESTORE_DRILL_RPO: "600+0x1800",
        }
    )
    healthy = series(
        {
            c.BACKUP_LAST_SUCCESS: "0+0x120",
            c.RESTORE_DRILL_LAST_RUN: "0+0x120",
            c.RESTORE_DRILL_SUCCESS: "1+0x120",
            c.RESTORE_DRILL_RTO: "5+0x120",
            c.RESTORE_DRILL_RPO: "60+0x120",
        }
    )
    rpo_critical = expected(rules, c.ALERT_RECOVERY_OBJECTIVE, "data-loss-window", "critical")
    suite = {
        "rule_files": [RULES],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": broken,
                "alert_rule_test": [
                    {
                        "eval_time": "1h",
                        "alertname": c.ALERT_RECOVERY_FAILED,
                        "exp_alerts": [expected(rules, c.ALERT_RECOVERY_FAILED, "restore-time", "high")],
                    },
                    {"eval_time": "1h", "alertname": c.ALERT_RECOVERY_OBJECTIVE, "exp_alerts": [rpo_critical]},
                    {
                        "eval_time": "27h",
                        "alertname": c.ALERT_RECOVERY_OBJECTIVE,
                        "exp_alerts": [rpo_critical, expected(rules, c.ALERT_RECOVERY_OBJECTIVE, "backup-age", "high")],
                    },
                ],
            },
            {
                "interval": "1m",
                "input_series": healthy,
                "alert_rule_test": [
                    {"eval_time": "1h", "alertname": name, "exp_alerts": []}
                    for name in (c.ALERT_RECOVERY_FAILED, c.ALERT_RECOVERY_OBJECTIVE, c.ALERT_RECOVERY_STALE)
                ],
            },
        ],
    }
    (tmp_path / "recovery.test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))

    result = promtool("test", "rules", "recovery.test.yaml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
