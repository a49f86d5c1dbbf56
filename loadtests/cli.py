"""`todochat loadtest`: the performance gate (and its Locust suites) from the command line."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import typer

from loadtests.errors import ProfileError, StartError
from loadtests.evaluate import EXIT_NOT_RUN, ScenarioVerdict, evaluate
from loadtests.profiles import MIXES, PROFILES, LatencyModel, adjusted
from loadtests.report import GateReport, table, write_reports
from loadtests.runner import run_scenario
from loadtests.services import StackOptions, running_stack, seed_accounts

loadtest_cli = typer.Typer(help="Load tests and the CI performance gate (thresholds from the SLO spec).")
INSTALL_LOCUST = "Locust is not installed: `make install-dev`, or `pip install 'todochat[loadtest]'`"


def require_locust() -> None:
    """Stop with how to install Locust when it is missing (the server's own install leaves it out).

    Raises:
        typer.Exit: with EXIT_NOT_RUN, after saying how to install the `loadtest` extra.
    """
    if importlib.util.find_spec("locust") is None:  # not imported here: Locust monkey-patches the process
        typer.echo(INSTALL_LOCUST, err=True)
        raise typer.Exit(EXIT_NOT_RUN)


@loadtest_cli.command()
def gate(
    profile: str = typer.Option("ci", help=f"Profile: {', '.join(PROFILES)}"),
    host: str | None = typer.Option(None, help="Load this running instance instead of starting one"),
    database_url: str | None = typer.Option(
        None, help="Scratch database for the started app (migrated first); default: a new SQLite file"
    ),
    output: Path = typer.Option(Path("build/loadtest"), help="Directory for the reports"),
    spec: Path | None = typer.Option(None, help="SLO spec (default: the packaged todo-chatbot spec)"),
    scenario: str | None = typer.Option(None, help="Run only this scenario of the profile"),
    mix: str | None = typer.Option(None, help=f"User mix instead of the profile's: {', '.join(MIXES)}"),
    users: int | None = typer.Option(None, min=1, help="Users (steps scale in proportion)"),
    duration: float | None = typer.Option(None, min=5, help="Judged seconds per phase"),
    processes: int | None = typer.Option(None, min=0, help="Locust worker processes (0: one process)"),
    workers: int | None = typer.Option(None, min=1, help="App worker processes"),
    gemini_ttft_ms: float | None = typer.Option(None, min=0, help="Fake Gemini time to first token"),
    gemini_token_delay_ms: float | None = typer.Option(None, min=0, help="Fake Gemini delay per token"),
    gemini_jitter_ms: float | None = typer.Option(None, min=0, help="Fake Gemini random extra latency, up to"),
    gemini_error_rate: float = typer.Option(0.0, min=0, max=1, help="Share of fake Gemini calls that fail (500/503)"),
    gemini_attempts: int | None = typer.Option(None, min=1, help="GEMINI_MAX_ATTEMPTS for the app (default: its own)"),
    app_log_level: str = typer.Option("INFO", help="LOG_LEVEL of the started app"),
    abort: bool = typer.Option(True, "--abort/--no-abort", help="Stop early on a clear breach"),
) -> None:
    """Run a load profile and judge it against the SLO spec.

    Exit codes: 0 passed; 3 could not run; breaches: 10 rollback, 11 errors, 12 latency, 13 response_time,
    14 throughput (the most severe one when several breach; report.json lists all).
    """
    from slo.errors import SpecError
    from slo.load import load_spec

    started = time.monotonic()
    require_locust()
    if profile not in PROFILES:
        raise typer.BadParameter(
            f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}", param_hint="--profile"
        )
    if mix is not None and mix not in MIXES:
        raise typer.BadParameter(f"unknown mix {mix!r}; choose one of {', '.join(MIXES)}", param_hint="--mix")
    try:
        slo_spec = load_spec(spec)
    except (SpecError, OSError) as err:
        raise typer.BadParameter(str(err), param_hint="--spec") from err
    base = PROFILES[profile]
    latency = None
    if any(v is not None for v in (gemini_ttft_ms, gemini_token_delay_ms, gemini_jitter_ms)):
        model = base.scenarios[0].latency
        latency = LatencyModel(
            "custom",
            gemini_ttft_ms if gemini_ttft_ms is not None else model.ttft_ms,
            gemini_token_delay_ms if gemini_token_delay_ms is not None else model.token_delay_ms,
            gemini_jitter_ms if gemini_jitter_ms is not None else model.jitter_ms,
        )
    try:
        chosen = adjusted(
            base,
            mix=mix,
            users=users,
            seconds=duration,
            latency=latency,
            processes=processes,
            app_workers=workers,
            only=scenario,
        )
    except ProfileError as err:
        raise typer.BadParameter(str(err), param_hint="--mix" if mix is not None else "--scenario") from err

    output.mkdir(parents=True, exist_ok=True)
    options = StackOptions(
        database_url=database_url,
        workers=chosen.app_workers,
        gemini_attempts=gemini_attempts,
        gemini_error_rate=gemini_error_rate,
        log_level=app_log_level,
    )
    verdicts: list[ScenarioVerdict] = []
    artifacts: dict[str, dict[str, str]] = {}
    error: str | None = None
    url = host or "(started here)"
    try:
        with running_stack(output, options, chosen.scenarios[0].latency, host) as stack:
            url = stack.url
            accounts = seed_accounts(stack.url, chosen.accounts)
            for sc in chosen.scenarios:
                if stack.managed:
                    stack.start_gemini(sc.latency)
                typer.echo(f"running {sc.name}: {sc.seconds:.0f} s, mix {sc.mix}, against {stack.url}", err=True)
                outcome = run_scenario(
                    sc,
                    host=stack.url,
                    accounts=accounts,
                    directory=output,
                    spec=slo_spec,
                    window_scale=chosen.window_scale,
                    abort_early=abort and chosen.abort_early,
                )
                files = outcome.artifacts
                artifacts[sc.name] = {
                    "locust_html": str(files.html),
                    "locust_json": str(files.json),
                    "locust_csv": f"{files.csv_prefix}_stats.csv",
                    "samples": str(files.samples),
                    "locust_log": str(files.log),
                }
                verdict = evaluate(
                    outcome.recording, sc, slo_spec, window_scale=chosen.window_scale, aborted=outcome.aborted
                )
                if outcome.recording.start is None:
                    error = f"Locust recorded nothing for {sc.name} (exit {outcome.returncode}; log: {files.log})"
                verdicts.append(verdict)
    except StartError as err:
        error = str(err)
    report = GateReport(chosen, url, tuple(verdicts), artifacts, time.monotonic() - started, error)
    paths = write_reports(report, output)
    typer.echo(table(report))
    typer.echo(f"reports: {paths['json']}, {paths['junit']}, Locust HTML per scenario in {output}")
    raise typer.Exit(report.exit_code)


__all__ = ["EXIT_NOT_RUN", "loadtest_cli"]
