"""The `todochat backup` and `todochat restore-drill` commands."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.recovery.tiers import TIERS

if TYPE_CHECKING:
    from app.recovery.settings import RecoverySettings

EXIT_FAILED = 1
EXIT_CONFIG = 2


def _settings(backup_dir: Path | None) -> RecoverySettings:
    import structlog

    from app.recovery.settings import RecoverySettings

    # stdout carries the result (--json); progress logs go to stderr so the two never mix.
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    return RecoverySettings(backup_dir=backup_dir) if backup_dir else RecoverySettings()


def backup(
    backup_dir: Path | None = typer.Option(None, help="Backup directory (default BACKUP_DIR, ./var/backups)"),
    json_output: bool = typer.Option(False, "--json", help="Print the backup record as JSON"),
) -> None:
    """Back up the PostgreSQL database (pg_dump), checksum, encrypt if a key is set, apply retention."""
    from app.recovery.backup import run_backup
    from app.recovery.errors import RecoveryConfigError, RecoveryError
    from app.recovery.metrics import write_textfile

    settings = _settings(backup_dir)
    try:
        record = asyncio.run(run_backup(settings))
    except RecoveryConfigError as err:
        typer.echo(f"backup not possible: {err.message}", err=True)
        raise typer.Exit(EXIT_CONFIG) from err
    except RecoveryError as err:
        write_textfile(settings.backup_dir, settings.metrics_textfile)
        typer.echo(f"backup failed: {err.message}", err=True)
        raise typer.Exit(EXIT_FAILED) from err
    write_textfile(settings.backup_dir, settings.metrics_textfile)
    if json_output:
        typer.echo(record.model_dump_json(indent=2))
        return
    rows = sum(t.rows for t in record.tables.values())
    encrypted = f", encrypted (key id {record.encryption.key_id})" if record.encryption else ""
    typer.echo(
        f"backup {record.id}: {record.size_bytes} bytes in {record.duration_seconds:.2f} s{encrypted}, "
        f"{len(record.tables)} tables, {rows} rows, schema {record.schema_version}, "
        f"sha256 {record.sha256}, file {settings.backup_dir / (record.file or '')}"
    )


def restore_drill(
    tier: str = typer.Option("", help=f"Recovery tier whose RTO/RPO apply: {', '.join(TIERS)} (default RECOVERY_TIER)"),
    backup_id: str | None = typer.Option(None, "--backup", help="Backup id to restore (default: the newest)"),
    backup_dir: Path | None = typer.Option(None, help="Backup directory (default BACKUP_DIR, ./var/backups)"),
    json_output: bool = typer.Option(False, "--json", help="Print the drill record as JSON"),
) -> None:
    """Restore the newest backup into a scratch database, verify it, measure RTO/RPO; exit 1 if it fails."""
    from app.recovery.drill import run_drill
    from app.recovery.errors import RecoveryConfigError
    from app.recovery.metrics import write_textfile

    if tier and tier not in TIERS:
        typer.echo(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    settings = _settings(backup_dir)
    try:
        record = asyncio.run(run_drill(settings, tier=tier or None, backup_id=backup_id))
    except RecoveryConfigError as err:
        typer.echo(f"restore drill not possible: {err.message}", err=True)
        raise typer.Exit(EXIT_CONFIG) from err
    write_textfile(settings.backup_dir, settings.metrics_textfile)
    if json_output:
        typer.echo(record.model_dump_json(indent=2))
    else:
        rto = f"{record.rto_seconds:.2f} s" if record.rto_seconds is not None else "not measured"
        rpo = f"{record.rpo_seconds:.2f} s" if record.rpo_seconds is not None else "not measured"
        typer.echo(
            f"restore drill {record.outcome.upper()} (tier {record.tier}: RTO <= {record.rto_objective_seconds:.0f} s, "
            f"RPO <= {record.rpo_objective_seconds:.0f} s): RTO {rto}, RPO {rpo}, backup {record.backup_id}"
        )
        for problem in record.problems:
            typer.echo(f"  - {problem}", err=True)
    if record.outcome != "pass":
        raise typer.Exit(EXIT_FAILED)


def register(cli: typer.Typer) -> None:
    """Add the recovery commands to the `todochat` CLI."""
    cli.command("backup")(backup)
    cli.command("restore-drill")(restore_drill)
