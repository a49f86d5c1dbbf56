"""Command-line overrides of a load profile: what runs carries the name of what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from loadtests.errors import ProfileError
from loadtests.profiles import CHAT, PROFILES, READ, adjusted


def test_a_mix_on_a_single_scenario_profile_runs_under_the_mixs_name() -> None:
    (scenario,) = adjusted(PROFILES["ci"], mix="chat").scenarios
    assert (scenario.name, scenario.mix) == ("chat", CHAT)


@pytest.mark.parametrize("only", [None, "chat-zero-latency", "read"])
def test_a_mix_on_a_profile_of_one_scenario_per_mix_is_refused_naming_its_scenarios(only: str | None) -> None:
    with pytest.raises(ProfileError, match=r"--scenario") as caught:
        adjusted(PROFILES["capacity"], mix="read", only=only)
    assert "read, chat-zero-latency, chat-realistic-latency" in str(caught.value)


def test_a_scenario_of_the_capacity_profile_keeps_its_own_mix_and_name() -> None:
    (scenario,) = adjusted(PROFILES["capacity"], only="read").scenarios
    assert (scenario.name, scenario.mix) == ("read", READ)


def test_the_gate_refuses_capacity_with_a_mix_before_starting_anything(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["loadtest", "gate", "--profile", "capacity", "--mix", "read", "--output", str(output)]
    )
    printed = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert result.exit_code == 2, result.output
    assert "Invalid value for --mix" in printed
    assert "--scenario" in printed
    assert not output.exists()
