"""What the code imports is declared, nothing declared goes unused, and the server installs without the extras."""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import os
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.conftest import tool

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PROJECT = canonicalize_name(PYPROJECT["name"])
# Which declarations each folder's imports may draw on: the server's own packages see only `dependencies`.
SCOPES = {
    "app": (), "telemetry": (), "slo": ("report",), "alerts": (), "dashboards": ("dashboards",),
    "loadtests": ("loadtest",),
}  # fmt: skip
# slo draws on `report` only in slo/report_charts.py, which the server never imports (a test below checks).
# Declared but never imported by name: SQLAlchemy loads the driver from the URL's scheme, and zoneinfo reads
# tzdata's zone files where the system has none.
LOADED_BY_NAME = {"aiosqlite", "tzdata"}


def declared(*extras: str) -> set[str]:
    reqs = [*PYPROJECT["dependencies"], *(r for e in extras for r in PYPROJECT["optional-dependencies"][e])]
    return {canonicalize_name(Requirement(r).name) for r in reqs} - {PROJECT}


@cache
def top_level_owners() -> dict[str, list[str]]:
    return md.packages_distributions()


@cache
def file_owners() -> dict[Path, str]:
    owners: dict[Path, str] = {}
    for dist in md.distributions():
        for file in dist.files or ():
            owners[Path(str(dist.locate_file(file))).resolve()] = canonicalize_name(dist.metadata["Name"])
    return owners


def distributions_of(module: str) -> set[str]:
    """The distributions that can provide `module`; a namespace package (opentelemetry, google) is resolved by file."""
    top = module.partition(".")[0]
    candidates = {canonicalize_name(d) for d in top_level_owners().get(top, ())}
    if len(candidates) <= 1:
        return candidates  # not imported: importing locust would monkey-patch this process
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{module} is imported but cannot be found"
    if spec.origin is None:  # a namespace package itself: any of its distributions
        return candidates
    return {file_owners()[Path(spec.origin).resolve()]}


@cache
def third_party_imports(folder: str) -> dict[str, str]:
    """Module -> one file importing it, for every absolute import of a module outside the standard library."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                if name.partition(".")[0] not in sys.stdlib_module_names | set(SCOPES):
                    found.setdefault(name, str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("folder", sorted(SCOPES))
def test_every_package_a_folder_imports_is_declared_where_that_folder_installs_it(folder: str) -> None:
    allowed = declared(*SCOPES[folder])
    missing = {
        f"{module} (from {where}; provided by {' or '.join(sorted(dists)) or 'nothing installed'})"
        for module, where in third_party_imports(folder).items()
        if not (dists := distributions_of(module)) & allowed
    }
    assert not missing, f"declare in pyproject.toml, then `make lock`: {sorted(missing)}"


def test_every_declared_server_dependency_is_imported_somewhere() -> None:
    imported = {d for folder in SCOPES for module in third_party_imports(folder) for d in distributions_of(module)}
    unused = declared() - imported - LOADED_BY_NAME
    assert not unused, f"declared in pyproject.toml but imported nowhere: {sorted(unused)}"


def locked(*args: str) -> set[str]:
    result = subprocess.run(
        [tool("uv"), "export", "--frozen", "--no-emit-project", "--no-hashes", "--no-header", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith((" ", "#"))]
    return {canonicalize_name(Requirement(line.partition(" ")[0]).name) for line in lines}


def test_the_server_install_leaves_out_locust_the_grafana_sdk_and_matplotlib_and_dev_brings_them() -> None:
    extras = {"locust", "gevent", "grafana-foundation-sdk", "matplotlib"}
    assert not extras & locked("--no-dev"), "the image and `pip install .` must not pull the load-test tools"
    assert extras <= locked("--extra", "dev")


def python_without(tmp_path: Path, *hidden: str) -> list[str]:
    """A Python command that sees this virtualenv's packages except the `hidden` top-level names."""
    farm = tmp_path / "site"
    farm.mkdir()
    site = Path(importlib.util.find_spec("typer").origin).parents[1]  # type: ignore[arg-type]  # typer is installed
    for entry in site.iterdir():
        if not entry.name.lower().startswith(hidden) and entry.suffix != ".pth":
            (farm / entry.name).symlink_to(entry)
    return [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(farm)!r}]; "
            "from app.cli import main; main()"]  # fmt: skip


def run_cli(command: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "CI": "true"}
    )


def test_loadtest_gate_without_locust_says_how_to_install_it(tmp_path: Path) -> None:
    result = run_cli(python_without(tmp_path, "locust"), "loadtest", "gate", "--output", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    assert "pip install 'todochat[loadtest]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_dashboards_build_without_the_grafana_sdk_says_how_to_install_it(tmp_path: Path) -> None:
    result = run_cli(python_without(tmp_path, "grafana_foundation_sdk"), "dashboards", "build", "--check")
    assert result.returncode == 69, result.stderr
    assert "pip install 'todochat[dashboards]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_slo_report_without_matplotlib_says_how_to_install_it(tmp_path: Path) -> None:
    args = ["slo", "report", "--prometheus", "http://127.0.0.1:9", "-o", str(tmp_path / "report.html")]
    result = run_cli(python_without(tmp_path, "matplotlib"), *args)
    assert result.returncode == 69, result.stderr
    assert "pip install 'todochat[report]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_only_the_report_charts_import_the_report_extra() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "slo").rglob("*.py")
        if any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(
                (name or "").partition(".")[0] == "matplotlib"
                for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module])
            )
            for node in ast.walk(ast.parse(path.read_text()))
        )
    }
    assert importers == {"slo/report_charts.py"}
    for path in (ROOT / "app").rglob("*.py"):
        assert "report_charts" not in path.read_text(), f"{path} would make the server need matplotlib"
