"""The `todochat slo` commands: validate, rules --check, OpenSLO export and import."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from slo.cli import EXIT_SPEC_INVALID

runner = CliRunner()


def test_validate_accepts_the_default_spec() -> None:
    result = runner.invoke(cli, ["slo", "validate"])
    assert result.exit_code == 0, result.output
    assert "valid slo.todochat/v1: 11 event SLOs, 3 recovery objectives" in result.output
    assert "spend at most $20/day" in result.output


def test_validate_names_file_slo_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: s\nslos:\n  - name: p95\n"
        "    indicator:\n      latencyPercentile:\n        metric: http_server_request_duration_seconds\n"
        "        percentile: 1.5\n        threshold: 0.3\n"
    )
    result = runner.invoke(cli, ["slo", "validate", str(bad)])
    assert result.exit_code == EXIT_SPEC_INVALID
    assert f"{bad}: SLO 'p95', field indicator.latencyPercentile.percentile" in result.output


def test_rules_check_finds_the_committed_files_current() -> None:
    result = runner.invoke(cli, ["slo", "rules", "--check"])
    assert result.exit_code == 0, result.output


def test_rules_check_reports_a_stale_directory(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["slo", "rules", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "out of date" in result.output


def test_openslo_export_then_import_gives_a_valid_spec(tmp_path: Path) -> None:
    exported = tmp_path / "openslo.yaml"
    result = runner.invoke(cli, ["slo", "openslo", "export", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    assert "not expressible in OpenSLO" in result.output
    imported = tmp_path / "spec.yaml"
    result = runner.invoke(cli, ["slo", "openslo", "import", str(exported), "--out", str(imported)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["slo", "validate", str(imported)])
    assert result.exit_code == 0, result.output
    assert "11 event SLOs, 0 recovery objectives" in result.output
