"""Fixtures for the dashboard tests: the packaged spec, the built dashboards, the external tools."""

from __future__ import annotations

import re

import pytest

from dashboards.board import Board
from dashboards.render import boards
from slo.load import load_spec
from slo.model import Spec

_VARIABLE = re.compile(r"\$(__rate_interval|[A-Za-z_]\w*)")


def substitute(expr: str, values: dict[str, str]) -> str:
    """The query Grafana sends once template variables have their values; an unknown variable fails."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr}")
        return values[name]

    return _VARIABLE.sub(value, expr)


def variables_used(expr: str) -> set[str]:
    """Template variables an expression refers to."""
    return set(_VARIABLE.findall(expr))


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="session")
def built(spec: Spec) -> list[Board]:
    return boards(spec)
