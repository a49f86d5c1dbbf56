"""The deploy workflow's budget gate: the policy decision, the overrides for fixes, and what the gate answers."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, ROOT
from tests.deploy.test_dockerfiles import cli_accepts
from tests.deploy.test_workflows import load

GATE = DEPLOY / "scripts" / "budget-gate.sh"


def _gate(tmp_path: Path, check_exit: int, *, label: bool = False, reason: str = "") -> tuple[int, str, list[str]]:
    """Run the gate with a stand-in `todochat` that records its arguments and exits like the policy check."""
    calls = tmp_path / "calls"
    stub = tmp_path / "todochat"
    stub.write_text(f'#!/usr/bin/env bash\necho "$@" >> {shlex.quote(str(calls))}\nexit {check_exit}\n')
    stub.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "TODOCHAT": str(stub),
        "PROMETHEUS_URL": "http://prometheus.example:9090",
        "SLO_OVERRIDE_LABEL": "true" if label else "false",
        "SLO_OVERRIDE_REASON": reason,
    }
    result = subprocess.run([str(GATE)], env=env, capture_output=True, text=True, timeout=30, check=False)
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return result.returncode, result.stdout + result.stderr, recorded


@pytest.mark.parametrize(
    ("check_exit", "label", "reason", "passes", "says"),
    [
        pytest.param(0, False, "", True, "no step", id="no step holding lets the release through"),
        pytest.param(21, False, "", True, "::warning::", id="notify lets the release through with a warning"),
        pytest.param(22, False, "", False, "slo-override", id="freeze_features stops an unlabelled release"),
        pytest.param(
            22, True, "", True, "a fix", id="freeze_features lets a pull request labelled slo-override through"
        ),
        pytest.param(
            22, False, "hotfix for #12", True, "hotfix for #12", id="freeze_features yields to a dispatch reason"
        ),
        pytest.param(23, True, "", False, "dispatched by hand", id="freeze_all stops even a labelled fix"),
        pytest.param(23, False, "security fix", True, "security fix", id="freeze_all yields only to a dispatch reason"),
        pytest.param(69, True, "", False, "could not be read", id="an unreadable Prometheus stops the release"),
        pytest.param(
            69, False, "monitoring down", True, "monitoring down", id="an unreadable Prometheus yields to a reason"
        ),
        pytest.param(
            65, False, "anything", False, "exit 65", id="a broken spec stops the release whatever the override"
        ),
    ],
)
def test_the_budget_gate_follows_the_policy_decision_and_its_overrides(
    tmp_path: Path, check_exit: int, label: bool, reason: str, passes: bool, says: str
) -> None:
    code, output, calls = _gate(tmp_path, check_exit, label=label, reason=reason)
    assert (code == 0) is passes, output
    assert says in output
    assert calls == ["slo policy check --prometheus http://prometheus.example:9090"]


def test_the_gate_runs_a_policy_check_the_cli_accepts(tmp_path: Path) -> None:
    _, _, calls = _gate(tmp_path, 0)
    cli_accepts(["todochat", *shlex.split(calls[0])])


def test_the_deploy_workflow_gates_staging_and_production_on_the_budget_policy() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yaml")
    gate = deploy["jobs"]["budget-policy"]
    assert deploy["jobs"]["staging"]["needs"] == "budget-policy"
    assert deploy["jobs"]["production"]["needs"] == "staging"
    runs = [step.get("run", "") for step in gate["steps"]]
    assert any("deploy/scripts/budget-gate.sh" in run for run in runs)
    assert any('.name == "slo-override"' in run for run in runs)
    assert "slo_override" in deploy["on"]["workflow_dispatch"]["inputs"]
    assert gate["env"]["SLO_OVERRIDE_REASON"] == "${{ inputs.slo_override }}"
    assert gate["permissions"]["pull-requests"] == "read"
