"""`todochat dashboards ...`: generate the Grafana dashboards and provisioning files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboards import PACKAGE_DIR
from slo.errors import SpecError

EXIT_SPEC_INVALID = 65
EXIT_GENERATED_STALE = 1
EXIT_NOT_INSTALLED = 69  # EX_UNAVAILABLE: grafana-foundation-sdk is missing
INSTALL_SDK = "grafana-foundation-sdk is not installed: `make install-dev`, or `pip install 'todochat[dashboards]'`"

dashboards_cli = typer.Typer(help="Grafana dashboards generated from the SLO spec.", no_args_is_help=True)


@dashboards_cli.callback()
def dashboards() -> None:
    """Grafana dashboards generated from the SLO spec and the metric conventions."""


@dashboards_cli.command()
def build(
    spec_path: Annotated[Path | None, typer.Option("--spec", help="SLO spec file (default: the packaged spec)")] = None,
    out: Annotated[Path, typer.Option(help="Folder to write into")] = PACKAGE_DIR,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the files on disk are not what would be built")
    ] = False,
) -> None:
    """Write the dashboard JSON (dashboards/grafana/) and Grafana provisioning files (dashboards/provisioning/)."""
    from slo.load import load_spec

    try:
        from dashboards.render import generated_files, stale_files, write_files
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("grafana_foundation_sdk"):
            raise
        typer.echo(INSTALL_SDK, err=True)
        raise typer.Exit(EXIT_NOT_INSTALLED) from err

    try:
        spec = load_spec(spec_path)
        files = generated_files(spec)
    except SpecError as err:
        for line in err.problems:
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_SPEC_INVALID) from err
    if check:
        stale = stale_files(files, out)
        for path in stale:
            typer.echo(f"out of date: {path}", err=True)
        if stale:
            typer.echo("run `todochat dashboards build` and commit the result", err=True)
            raise typer.Exit(EXIT_GENERATED_STALE)
        typer.echo(f"{len(files)} files up to date in {out}")
        return
    for path in write_files(files, out):
        typer.echo(f"wrote {path}")
