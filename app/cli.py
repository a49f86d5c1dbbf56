"""`todochat`: the one command-line entry point."""

from __future__ import annotations

from pathlib import Path

import typer

cli = typer.Typer(help="Todo AI Chatbot: a todo list you manage by chatting with it.", no_args_is_help=True)
ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> object:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


@cli.command()
def migrate(revision: str = typer.Argument("head", help="Revision to upgrade to")) -> None:
    """Apply database migrations (to DATABASE_URL)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)  # type: ignore[arg-type]  # Config built above


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
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
    )


def main() -> None:
    cli()
