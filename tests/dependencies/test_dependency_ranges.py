"""Libraries whose private names we use stay inside the release range those uses were checked against.

When a test here fails, the library moved: read the named files against the new release (the private names
they use are the ones listed), run the telemetry and pool tests, then move the range both here and in
pyproject.toml and run `make lock`.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Reach:
    """Which release range of `dist` the private uses in `files` were checked against."""

    dist: str
    verified: str  # the `~=` specifier, as pyproject.toml must also declare it
    module: str  # the import name the files use
    files: tuple[str, ...]


REACHES = (
    Reach("opentelemetry-api", "~=1.45.2", "opentelemetry", ("telemetry/spans.py", "telemetry/database.py")),
    Reach("opentelemetry-sdk", "~=1.45.2", "opentelemetry.sdk", ("telemetry/spans.py", "telemetry/tracing.py")),
    Reach("opentelemetry-exporter-otlp-proto-common", "~=1.45.2", "opentelemetry.exporter.otlp.proto.common",
          ("telemetry/otlp.py",)),
    Reach("opentelemetry-exporter-otlp-proto-http", "~=1.45.2", "opentelemetry.exporter.otlp.proto.http",
          ("telemetry/otlp.py",)),
    Reach("opentelemetry-instrumentation", "~=0.66.0b2", "opentelemetry.instrumentation", ("telemetry/database.py",)),
    # When its server span ends (with the response's last body) and what its hook is handed: telemetry/stock.py.
    Reach("opentelemetry-instrumentation-fastapi", "~=0.66.0b2", "opentelemetry.instrumentation.fastapi",
          ("telemetry/stock.py",)),
    Reach("prometheus-client", "~=0.26.0", "prometheus_client", ("telemetry/metrics.py",)),
    Reach("sqlalchemy", "~=2.1.9", "sqlalchemy", ("app/db/pool.py", "telemetry/database.py")),
    Reach("mcp", "~=2.3.0", "mcp.client.session", ("app/mcp/validators.py",)),
)  # fmt: skip


def declared_specifiers() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(r.name): r.specifier for r in map(Requirement, project["dependencies"])}


@pytest.mark.parametrize("reach", REACHES, ids=lambda r: r.dist)
def test_the_installed_release_is_one_our_private_uses_were_checked_against(reach: Reach) -> None:
    installed = Version(md.version(reach.dist))
    assert SpecifierSet(reach.verified).contains(installed, prereleases=True), (
        f"{reach.dist} {installed} is outside {reach.verified}, the range {', '.join(reach.files)} "
        f"{'was' if len(reach.files) == 1 else 'were'} checked against: re-check {', '.join(reach.files)} "
        f"against {reach.dist} {installed}, then update the range in {Path(__file__).name} and pyproject.toml"
    )


@pytest.mark.parametrize("reach", REACHES, ids=lambda r: r.dist)
def test_pyproject_holds_the_library_to_the_checked_range(reach: Reach) -> None:
    declared = declared_specifiers().get(canonicalize_name(reach.dist))
    assert declared is not None, f"{reach.dist} is used by {', '.join(reach.files)} but not declared"
    assert declared == SpecifierSet(reach.verified), (
        f"pyproject.toml declares {reach.dist}{declared}; {', '.join(reach.files)} were checked against "
        f"{reach.verified}: re-check them before widening the range"
    )


@pytest.mark.parametrize("reach", REACHES, ids=lambda r: r.dist)
def test_each_listed_file_still_imports_the_library(reach: Reach) -> None:
    pattern = re.compile(rf"^\s*(from|import) {re.escape(reach.module)}\b", re.M)
    stale = [f for f in reach.files if not pattern.search((ROOT / f).read_text())]
    assert not stale, f"{stale} no longer import {reach.module}: drop them from {reach.dist}'s entry"
