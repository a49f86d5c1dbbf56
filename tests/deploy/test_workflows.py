"""The GitHub Actions workflows parse and call only make targets, CLI commands and files that exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from app.cli import cli
from tests.deploy.conftest import DEPLOY, K8S, ROOT
from tests.deploy.test_dockerfiles import cli_accepts

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
SCRIPTS = sorted((DEPLOY / "scripts").glob("*.sh"))
MAKE_TARGET = re.compile(r"^([A-Za-z][\w-]*)\s*:(?!=)", re.MULTILINE)


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def run_lines(workflow: dict[str, Any]) -> list[str]:
    """Every shell line of every `run:` step, continuations joined."""
    lines = []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "run" in step:
                lines += re.sub(r"\\\n\s*", " ", step["run"]).splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def all_lines() -> list[tuple[str, str]]:
    return [(path.name, line) for path in WORKFLOWS for line in run_lines(load(path))]


def test_the_pipeline_has_test_lint_loadtest_image_and_deploy_workflows() -> None:
    jobs = {name for path in WORKFLOWS for name in load(path)["jobs"]}
    assert {"lint", "test", "loadtest-gate", "build", "staging", "production"} <= jobs


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_parses_and_every_job_has_a_runner_a_time_limit_and_steps(path: Path) -> None:
    workflow = load(path)
    assert workflow["on"], "a workflow needs triggers"
    for name, job in workflow["jobs"].items():
        assert job["runs-on"].startswith("ubuntu-"), name
        assert 0 < job["timeout-minutes"] <= 90, name
        assert job["steps"], name
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), f"{name}: a step either runs or uses"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), f"pin {step['uses']} to a major version"


def test_every_make_target_the_workflows_call_exists() -> None:
    targets = set(MAKE_TARGET.findall((ROOT / "Makefile").read_text()))
    called = set()
    for _, line in all_lines():
        for match in re.finditer(r"\bmake((?:\s+[\w-]+)+)", line):
            called |= set(match.group(1).split())
    assert called, "the workflows run no make target"
    assert called <= targets, f"missing make targets: {sorted(called - targets)}"


def test_every_todochat_command_the_workflows_run_exists() -> None:
    commands = [line[line.index("todochat ") :] for _, line in all_lines() if re.search(r"(^|/)todochat ", line)]
    assert commands, "the workflows run no todochat command"
    for command in commands:
        cli_accepts(shlex.split(command))


def test_every_repository_path_the_workflows_name_exists() -> None:
    text = "\n".join(path.read_text() for path in WORKFLOWS)
    paths = set(re.findall(r"\b((?:deploy|frontend)/[\w./*-]*[\w*])", text))
    assert paths
    for name in paths:
        assert list(ROOT.glob(name)), f"a workflow names missing {name}"


def test_the_deploy_workflow_canaries_production_and_rolls_back_on_failure() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yaml")
    production = deploy["jobs"]["production"]
    assert production["needs"] == "staging"
    assert production["environment"]["name"] == "production"
    steps = production["steps"]
    text = [step.get("run", "") for step in steps]
    migrate = next(i for i, run in enumerate(text) if "deploy/scripts/migrate.sh" in run)
    apply = next(i for i, run in enumerate(text) if "kubectl apply -k" in run)
    watch = next(i for i, run in enumerate(text) if "argo rollouts" in run and " status " in run)
    assert migrate < apply < watch
    rollback = [step for step in steps if step.get("if") == "failure()"]
    assert rollback
    assert "abort todochat-api" in rollback[0]["run"]
    assert "deploy/k8s/overlays/production" in production["env"]["OVERLAY"]
    assert (K8S / "overlays" / "production" / "kustomization.yaml").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_deploy_scripts_are_executable_strict_bash(script: Path) -> None:
    assert script.stat().st_mode & 0o111
    assert script.read_text().splitlines()[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in script.read_text()
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_releases_wait_for_ci_then_images_then_deploy() -> None:
    workflows = {load(path)["name"]: load(path) for path in WORKFLOWS}
    chain = {name: w["on"].get("workflow_run", {}).get("workflows") for name, w in workflows.items()}
    assert chain["images"] == ["ci"]
    assert chain["deploy"] == ["images"]
    assert workflows["images"]["jobs"]["build"]["if"].endswith("conclusion == 'success'")
    assert "conclusion == 'success'" in workflows["deploy"]["jobs"]["staging"]["if"]


def test_ci_keeps_the_locust_report_where_the_gate_writes_it() -> None:
    job = load(ROOT / ".github" / "workflows" / "ci.yaml")["jobs"]["loadtest-gate"]
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    gate = typer.main.get_command(cli).commands["loadtest"].commands["gate"]  # type: ignore[attr-defined]  # a group
    output = next(param for param in gate.params if param.name == "output")
    assert Path(upload["with"]["path"]) == Path(output.default)


def test_the_weekly_slo_report_is_scheduled_and_kept_where_the_command_writes_it() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "slo-report.yaml")
    (schedule,) = workflow["on"]["schedule"]
    assert schedule["cron"].split()[4] == "1", "weekly, on Mondays"
    job = workflow["jobs"]["report"]
    reports = [line for line in run_lines(workflow) if " slo report " in f" {line} "]
    outputs = {Path(shlex.split(line)[shlex.split(line).index("-o") + 1]) for line in reports}
    assert {p.suffix for p in outputs} == {".html", ".md"}
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert {p.parent for p in outputs} == {Path(upload["with"]["path"])}
    assert job["env"]["PROMETHEUS_URL"] == "${{ vars.PROMETHEUS_URL }}"
