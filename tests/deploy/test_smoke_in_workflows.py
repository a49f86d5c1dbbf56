"""The deploy workflow smoke-tests every rollout with `todochat smoke`, through deploy/scripts/smoke.sh."""

from __future__ import annotations

import re
import shlex

from tests.deploy.conftest import DEPLOY, ROOT, find
from tests.deploy.test_dockerfiles import cli_accepts
from tests.deploy.test_workflows import load

SMOKE_SCRIPT = DEPLOY / "scripts" / "smoke.sh"
# A step that waits for a rollout to reach a stage: staging's rolling update, the canary's first pause, promotion.
ROLLOUTS = ("rollout status deployment/todochat-api", 'argo rollouts -n "$NAMESPACE" status todochat-api')


def test_smoke_sh_runs_todochat_smoke_with_options_the_cli_accepts() -> None:
    (line,) = [line for line in SMOKE_SCRIPT.read_text().splitlines() if line.startswith('"$todochat" smoke ')]
    words = shlex.split(line.replace('"$todochat"', "todochat"))
    cli_accepts([w for w in words if not w.startswith("$")])
    assert "--url" in words


def test_every_rollout_step_of_the_deploy_workflow_is_followed_by_a_smoke_test() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "deploy.yaml")
    for name in ("staging", "production"):
        steps = [step.get("run", "") for step in workflow["jobs"][name]["steps"]]
        rollouts = [i for i, run in enumerate(steps) if any(marker in run for marker in ROLLOUTS)]
        smokes = [i for i, run in enumerate(steps) if "deploy/scripts/smoke.sh" in run]
        assert rollouts, name
        for i in rollouts:
            after = [j for j in sorted(rollouts + smokes) if j > i]
            assert after, f"{name}: nothing follows step {i}"
            assert after[0] in smokes, f"{name}: step {i} ({steps[i].splitlines()[0]}) is not smoke-tested"
        installs = [i for i, run in enumerate(steps) if run.strip() == "make install"]
        assert installs, f"{name}: todochat is not installed"
        assert installs[0] < smokes[0], f"{name}: todochat is installed after its smoke test"


def test_the_canary_is_smoke_tested_on_its_own_pods_through_the_header_the_rollout_routes(production: list) -> None:
    workflow = load(ROOT / ".github" / "workflows" / "deploy.yaml")
    runs = [step.get("run", "") for step in workflow["jobs"]["production"]["steps"]]
    (canary_smoke,) = [run for run in runs if "smoke.sh" in run and "--header" in run]
    header = re.search(r'--header "([\w-]+): (\w+)"', canary_smoke)
    assert header
    nginx = find(production, "Rollout", "todochat-api")["spec"]["strategy"]["canary"]["trafficRouting"]["nginx"]
    assert nginx["additionalIngressAnnotations"]["canary-by-header"] == header.group(1)
    assert header.group(2) == "always"  # ingress-nginx: this value sends the request to the canary
