"""`todochat smoke --url URL`: the post-deployment smoke test, printed step by step or as JSON."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the runner imports the HTTP and MCP clients: only `todochat smoke` pays for them
    from app.smoke.runner import SmokeReport

MARKS = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}


def _headers(values: list[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{value!r} is not 'Name: value'", param_hint="--header")
        headers[name.strip()] = content.strip()
    return headers


def render(report: SmokeReport) -> str:
    """The report as lines a person reads: one per step with its duration, then the verdict."""
    from app.smoke.runner import EXIT_OK

    lines = [f"smoke test of {report.url} (run {report.run_id})"]
    width = max(len(s.name) for s in report.steps)
    for step in report.steps:
        took = f"{step.seconds * 1000:7.0f} ms" if step.outcome != "skipped" else " " * 10
        lines.append(f"  {MARKS[step.outcome]:<4}  {step.name:<{width}}  {took}  {step.detail}")
    failed = [s.name for s in report.steps if s.outcome == "failed"]
    verdict = "passed" if report.exit_code == EXIT_OK else f"FAILED at {', '.join(failed)}"
    lines.append(f"smoke test {verdict} in {report.seconds:.2f} s (exit {report.exit_code})")
    return "\n".join(lines)


def smoke(
    url: Annotated[str, typer.Option("--url", help="Base URL of the deployment, e.g. https://todochat.example.com")],
    mcp_url: Annotated[
        str | None, typer.Option("--mcp-url", help="MCP endpoint (default: URL/mcp/, where the API mounts it)")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds each request may take")] = 30.0,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="Extra request header, 'Name: value' (e.g. to reach a canary); repeatable"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check a deployment end to end as a throwaway user, then delete that user; exit 0 when all is well.

    Exit codes: 0 passed; 1 a step failed (nothing left behind); 3 cleanup failed (the smoke account may be left,
    the report names it); 69 nothing answers at URL; 2 bad usage.
    """
    from app.smoke.runner import run_smoke

    for name, value in (("--url", url), ("--mcp-url", mcp_url)):
        if value is not None and not value.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{value!r} is not an http:// or https:// URL", param_hint=name)
    report = asyncio.run(run_smoke(url, mcp_url=mcp_url, request_timeout=timeout, headers=_headers(header or [])))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    elif report.unreachable:
        typer.echo(f"todochat smoke: {report.steps[0].detail}", err=True)
    else:
        typer.echo(render(report))
    raise typer.Exit(report.exit_code)
