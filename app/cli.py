"""`todochat`: the one command-line entry point."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import typer

from app.recovery.commands import register as register_recovery_commands
from app.smoke.cli import smoke
from dashboards.cli import dashboards_cli
from loadtests.cli import loadtest_cli
from slo.cli import slo_cli

cli = typer.Typer(help="Todo AI Chatbot: a todo list you manage by chatting with it.", no_args_is_help=True)
ROOT = Path(__file__).resolve().parent.parent
WORKER_HEALTHCHECK_SECONDS = 15  # also how long a hung worker serves nothing before it is replaced


def alembic_config() -> object:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def unreachable_database(err: BaseException) -> str | None:
    """Why the database could not be reached, when `err` says it was not (not when a statement failed)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(err, DBAPIError) and err.statement is None:  # raised while connecting: nothing ran yet
        return str(err.orig).splitlines()[0] if str(err.orig) else type(err.orig).__name__
    if isinstance(err, ConnectionError | TimeoutError | socket.gaierror):  # asyncpg lets socket errors through
        return str(err) or type(err).__name__
    return None


@cli.command()
def migrate(revision: str = typer.Argument("head", help="Revision to upgrade to")) -> None:
    """Apply database migrations (to DATABASE_URL)."""
    from alembic import command
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from app.core.config import get_settings

    try:
        command.upgrade(alembic_config(), revision)  # type: ignore[arg-type]  # Config built above
    except (DBAPIError, OSError) as err:
        reason = unreachable_database(err)
        if reason is None:
            raise
        shown = make_url(get_settings().database_url).render_as_string(hide_password=True)
        typer.echo(f"todochat: cannot connect to the database at {shown}: {reason}", err=True)
        raise typer.Exit(1) from None


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, help="Worker processes"),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="Apply migrations before serving"),
) -> None:
    """Serve the UI, the API and the MCP server."""
    import uvicorn

    if migrate_first:
        migrate("head")
    if workers > 1:
        import os

        from telemetry.exposition import reset_multiprocess_dir
        from telemetry.server_process import SERVER_PID_ENV

        reset_multiprocess_dir()  # PROMETHEUS_MULTIPROC_DIR: this run's counters start from zero
        # Workers report CPU and memory for this supervisor and all its workers, whichever of them is scraped.
        os.environ[SERVER_PID_ENV] = str(os.getpid())
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
        # A spawned worker answers uvicorn's health pings only once it has imported the app, which takes over
        # 5 s (uvicorn's default) on a busy 2-core machine: workers were killed and respawned in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@cli.command()
def mcp(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8001, help="Port to listen on"),
) -> None:
    """Serve the MCP task tools alone at /mcp/ (the API then reaches them through MCP_SERVER_URL)."""
    import uvicorn

    import telemetry
    from app.core.config import get_settings
    from app.mcp.app import create_mcp_app

    settings = get_settings()
    app = create_mcp_app(settings)
    telemetry.setup(app, settings, service_name=telemetry.conventions.MCP_SERVICE_NAME)
    # log_config=None: uvicorn's own logging set-up would replace the telemetry pipeline.
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None)


@cli.command()
def worker() -> None:
    """Send due reminders and purge expired rows, alone (serve runs the same worker unless REMINDER_WORKER=false)."""
    import asyncio

    import telemetry
    from app.core.config import get_settings
    from app.runtime import Runtime
    from app.worker.reminders import ReminderWorker

    settings = get_settings()
    telemetry.setup_process(settings, service_name=telemetry.conventions.WORKER_SERVICE_NAME)

    async def run() -> None:
        runtime = Runtime.from_settings(settings)
        try:
            await ReminderWorker(runtime.sessions, settings).run()
        finally:
            await runtime.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@cli.command("fake-gemini")
def fake_gemini(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8090, help="Port to listen on"),
    ttft_ms: float | None = typer.Option(None, help="Time to first token [env FAKE_GEMINI_TTFT_MS]"),
    token_delay_ms: float | None = typer.Option(None, help="Delay per streamed token [env FAKE_GEMINI_TOKEN_DELAY_MS]"),
    jitter_ms: float | None = typer.Option(None, help="Random extra latency up to this [env FAKE_GEMINI_JITTER_MS]"),
    error_rate: float | None = typer.Option(None, help="Share of requests that fail, 0-1 [env FAKE_GEMINI_ERROR_RATE]"),
    error_codes: str | None = typer.Option(
        None, help="Failure statuses, e.g. 429,500,503 [env FAKE_GEMINI_ERROR_CODES]"
    ),
    max_concurrency: int | None = typer.Option(
        None, help="Answer 429 beyond this many requests in flight, 0 = no cap [env FAKE_GEMINI_MAX_CONCURRENCY]"
    ),
    seed: int | None = typer.Option(None, help="Random seed for jitter and failures [env FAKE_GEMINI_SEED]"),
    cached_share: float | None = typer.Option(
        None, help="Share of prompt tokens reported as cached, 0-1 [env FAKE_GEMINI_CACHED_SHARE]"
    ),
) -> None:
    """Serve a Gemini-compatible REST API backed by the offline model, for tests and load tests."""
    import uvicorn

    from app.agent.fake_gemini import FakeGeminiConfig, create_fake_gemini_app

    config = FakeGeminiConfig.from_env()
    overrides = {
        "ttft_ms": ttft_ms,
        "token_delay_ms": token_delay_ms,
        "jitter_ms": jitter_ms,
        "error_rate": error_rate,
        "max_concurrency": max_concurrency,
        "seed": seed,
        "cached_share": cached_share,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(config, name, value)
    if error_codes is not None:
        config.error_codes = [int(code) for code in error_codes.split(",") if code.strip()]
    try:
        app = create_fake_gemini_app(config)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


register_recovery_commands(cli)  # backup, restore-drill
cli.command()(smoke)
cli.add_typer(slo_cli, name="slo")
cli.add_typer(loadtest_cli, name="loadtest")
cli.add_typer(dashboards_cli, name="dashboards")


def main() -> None:
    from app.core.config import SettingsError

    try:
        cli()
    except SettingsError as err:  # a configuration mistake gets its message, not a traceback
        raise SystemExit(f"todochat: {err}") from None
