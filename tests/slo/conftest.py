"""Fixtures for the SLO engine tests: the external tools (promtool, amtool, prometheus) and small builders."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"
PACKAGES = {"promtool": "prometheus", "prometheus": "prometheus", "amtool": "prometheus-alertmanager"}


def require_tool(name: str) -> str:
    """The tool's path; outside CI a missing tool skips the test with the reason, in CI it fails it."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed (Debian package {PACKAGES.get(name, name)}; `make system-tools` installs it)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)
