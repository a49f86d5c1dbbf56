"""Every install reads uv.lock, and a uv.lock that no longer matches pyproject.toml is caught."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, ROOT, tool
from tests.deploy.test_dockerfiles import DOCKERFILES, parse

MAKEFILE = ROOT / "Makefile"


def uv_lock_check(project: Path, *, offline: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("uv"), "lock", "--check", *(["--offline"] if offline else [])],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )


def copy_project(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def makefile_uv_version() -> str:
    found = re.search(r"^UV_VERSION := (\S+)$", MAKEFILE.read_text(), re.M)
    assert found, "the Makefile pins uv as UV_VERSION"
    return found.group(1)


def test_the_committed_lock_matches_pyproject(tmp_path: Path) -> None:
    result = uv_lock_check(copy_project(tmp_path), offline=True)
    assert result.returncode == 0, f"uv.lock is stale: run `make lock` and commit uv.lock\n{result.stderr}"


def test_a_dependency_added_to_pyproject_without_make_lock_is_caught(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pyyaml>=6",', '"pyyaml>=6",\n    "six>=1.16",', 1))
    result = uv_lock_check(project, offline=False)  # resolving the new name asks the registry
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr


def test_make_installs_from_the_lock_and_refuses_a_stale_one() -> None:
    text = MAKEFILE.read_text()
    sync = re.search(r"^SYNC := (.+)$", text, re.M)
    assert sync, "the Makefile installs through one SYNC command"
    assert "$(UV) sync --locked" in sync.group(1)
    assert "pip install -e" not in text, "an editable pip install would resolve anew instead of reading uv.lock"


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_the_image_installs_the_locked_server_dependencies_with_the_makefiles_uv(image: str) -> None:
    runs = [args for stage in parse(DOCKERFILES[image]) for args in stage.all("RUN")]
    syncs = [cmd.strip() for args in runs for cmd in args.split("&&") if "uv sync" in cmd]
    assert syncs, f"{image}: the image installs with `uv sync`"
    for cmd in syncs:
        assert "--locked" in cmd, f"{image}: `{cmd}` must install from uv.lock"
        assert "--no-dev" in cmd, f"{image}: `{cmd}` must leave the dev tools out"
        assert "--extra" not in cmd, f"{image}: the server image needs no extras"
    assert f"pip install uv=={makefile_uv_version()}" in " ".join(runs), (
        f"{DEPLOY.name}/docker/{image}.Dockerfile pins another uv than the Makefile's UV_VERSION"
    )
