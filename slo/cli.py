"""`todochat slo ...`: validate specs, evaluate them against Prometheus, generate rules and Alertmanager config."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from slo import DEFAULT_SPEC_PATH
from slo.alertmanager import alertmanager_config
from slo.engine import evaluate, plan
from slo.engine.queries import Query
from slo.engine.results import Report
from slo.errors import SourceError, SpecError
from slo.generate import generated_files, stale_files, write_files
from slo.load import load_spec
from slo.model import TIER_RANK, GaugeIndicator, Spec
from slo.report import policy_exit_code, render, render_policy

ROOT = Path(__file__).resolve().parent.parent
ALERTS_DIR = ROOT / "alerts"
CANARY_TEMPLATE = ROOT / "deploy" / "k8s" / "components" / "canary" / "analysistemplate.yaml"
EXIT_SPEC_INVALID = 65
EXIT_SOURCE_UNAVAILABLE = 69
EXIT_GENERATED_STALE = 1
EXIT_NOT_INSTALLED = 69  # EX_UNAVAILABLE, as for `todochat dashboards build`: matplotlib is missing
INSTALL_MATPLOTLIB = "matplotlib is not installed: `make install-dev`, or `pip install 'todochat[report]'`"
TIER_EXIT_BASE = 10  # exit 11 low, 12 medium, 13 high, 14 critical
# `slo policy check`: 0 no step holds, 21 notify, 22 freeze_features, 23 freeze_all (slo.report.policy_exit_code)

slo_cli = typer.Typer(help="Service level objectives: validate, evaluate, generate rules.", no_args_is_help=True)
openslo_cli = typer.Typer(help="OpenSLO v1 import and export.", no_args_is_help=True)
slo_cli.add_typer(openslo_cli, name="openslo")
policy_cli = typer.Typer(help="The error budget policy: what the budget says about deploying.", no_args_is_help=True)
slo_cli.add_typer(policy_cli, name="policy")

SpecOption = Annotated[Path | None, typer.Option("--spec", help="SLO spec file (default: the packaged spec)")]


def tier_exit_code(tier: str | None) -> int:
    """0 when nothing fires, else 10 + tier rank (low 11, medium 12, high 13, critical 14)."""
    return 0 if tier is None else TIER_EXIT_BASE + TIER_RANK[tier]


def _spec_label(path: Path | None) -> str:
    path = (path or DEFAULT_SPEC_PATH).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _load(path: Path | None) -> Spec:
    try:
        return load_spec(path)
    except SpecError as err:
        for line in err.problems:
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_SPEC_INVALID) from err


@slo_cli.command()
def validate(
    file: Annotated[Path | None, typer.Argument(help="Spec file (default: the packaged spec)")] = None,
) -> None:
    """Check a spec; every problem names the file, the SLO and the field."""
    spec = _load(file)
    gauges = sum(isinstance(s.indicator, GaugeIndicator) for s in spec.slos)
    typer.echo(
        f"{spec.source}: valid {spec.api_version}: {len(spec.slos) - gauges} event SLOs, {gauges} recovery objectives, "
        f"{len(spec.rollback)} rollback triggers, scaling {'on' if spec.scaling else 'off'}, "
        + (f"spend at most ${spec.spend.daily_budget:g}/day" if spec.spend else "spend off")
    )


def _evaluate_against(prometheus: str, spec: Spec, now: float, drills: Path | None = None) -> Report:
    """Evaluate the spec from Prometheus (and drill records); exits 69 when a source cannot be read."""
    from slo.sources.drills import drill_series, read_records
    from slo.sources.prometheus import PrometheusSource
    from slo.sources.series import answer

    queries = plan(spec, now)
    try:
        observations = dict(PrometheusSource(prometheus).answer(queries, now))
        if drills is not None:
            recorded = drill_series(read_records(drills), now)
            names = {s.name for s in recorded}
            gauge_queries: list[Query] = [q for q in queries if q.kind == "gauge" and q.selector.series in names]
            observations.update(answer(gauge_queries, recorded, now))
    except SourceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_SOURCE_UNAVAILABLE) from err
    return evaluate(spec, observations, now)


@slo_cli.command("evaluate")
def evaluate_cmd(
    prometheus: Annotated[str, typer.Option("--prometheus", help="Prometheus base URL, e.g. http://127.0.0.1:9090")],
    spec_path: SpecOption = None,
    at: Annotated[float | None, typer.Option(help="Unix time to evaluate at (default: now)")] = None,
    drills: Annotated[Path | None, typer.Option(help="Backup/drill records (JSON lines) for RTO/RPO")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Evaluate the spec against Prometheus; the exit code is the worst tier firing (0 none, 11 low .. 14 critical)."""
    spec = _load(spec_path)
    report = _evaluate_against(prometheus, spec, at if at is not None else time.time(), drills)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else render(report))
    raise typer.Exit(tier_exit_code(report.worst_tier))


@policy_cli.command("check")
def policy_check(
    prometheus: Annotated[str, typer.Option("--prometheus", help="Prometheus base URL, e.g. http://127.0.0.1:9090")],
    spec_path: SpecOption = None,
    at: Annotated[float | None, typer.Option(help="Unix time to evaluate at (default: now)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON")] = False,
) -> None:
    """Print the budget policy's decision (which SLO, which step, why); exit 0 none, 21 notify, 22 freeze_features,
    23 freeze_all (65 no policy in the spec, 69 Prometheus unreachable)."""
    spec = _load(spec_path)
    if spec.policy is None:
        typer.echo(f"{spec.source}: policy: this spec has no budget policy to check", err=True)
        raise typer.Exit(EXIT_SPEC_INVALID)
    report = _evaluate_against(prometheus, spec, at if at is not None else time.time())
    assert report.policy is not None  # the spec has a policy
    if as_json:
        data = report.to_dict()
        exhaustion = {s["slo"]: s["time_to_exhaustion"] for s in data["slos"]}
        typer.echo(json.dumps({**data["policy"], "time_to_exhaustion": exhaustion, "at": report.at}, indent=2))
    else:
        typer.echo(render_policy(report))
    raise typer.Exit(policy_exit_code(report.policy.action))


def _seconds(text: str, option: str) -> int:
    from slo.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint=option) from err


@slo_cli.command("report")
def report_cmd(
    prometheus: Annotated[str, typer.Option("--prometheus", help="Prometheus base URL, e.g. http://127.0.0.1:9090")],
    out: Annotated[Path, typer.Option("-o", "--out", help="File to write: .html, or .md (charts go beside it)")],
    since: Annotated[str, typer.Option(help="How far back the report reaches, e.g. 7d")] = "7d",
    until: Annotated[float | None, typer.Option(help="Unix time the report ends at (default: now)")] = None,
    step: Annotated[str | None, typer.Option(help="Time between points, e.g. 1h (default: at most 240 points)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="html or markdown (default: from the file's suffix)")
    ] = None,
    spec_path: SpecOption = None,
) -> None:
    """Write a report SREs read: per SLO the SLI against its objective over time, the budget burn-down, time to
    exhaustion, the alerts that fired and the budget policy's decision, with charts (65 bad spec, 69 Prometheus
    unreachable or matplotlib missing)."""
    kind = fmt or ("markdown" if out.suffix.lower() in (".md", ".markdown") else "html")
    if kind not in ("html", "markdown"):
        raise typer.BadParameter(f"{kind!r} is neither html nor markdown", param_hint="--format")
    reach = _seconds(since, "--since")
    spec = _load(spec_path)
    try:
        from slo import report_render
        from slo.report_charts import charts
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("matplotlib"):
            raise
        typer.echo(INSTALL_MATPLOTLIB, err=True)
        raise typer.Exit(EXIT_NOT_INSTALLED) from err
    from slo.report_model import Span, build_report, choose_step, range_queries
    from slo.sources.prometheus import PrometheusSource
    from slo.sources.range import fetch_alerts, fetch_answers

    end = float(int(until if until is not None else time.time()))
    span = Span(end - reach, end, _seconds(step, "--step") if step else choose_step(reach))
    source = PrometheusSource(prometheus, timeout=120.0)
    try:
        answers = fetch_answers(source, range_queries(spec, span), span)
        alerts = fetch_alerts(source, span)
    except SourceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_SOURCE_UNAVAILABLE) from err
    report = build_report(spec, span, answers, alerts)
    drawn = charts(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "html":
        out.write_text(report_render.html(report, drawn, prometheus), encoding="utf-8")
    else:
        text, files = report_render.markdown(report, drawn, f"{out.stem}-charts", prometheus)
        for rel, svg in files.items():
            (out.parent / rel).parent.mkdir(parents=True, exist_ok=True)
            (out.parent / rel).write_text(svg, encoding="utf-8")
        out.write_text(text, encoding="utf-8")
    action = report.decision.action if report.decision is not None else "no policy"
    typer.echo(
        f"wrote {out}: {len(report.slos)} SLOs over {span.label}, {len(drawn)} charts, "
        f"{len(report.alerts)} alert episodes, budget policy {action}"
    )


@slo_cli.command()
def rules(
    spec_path: SpecOption = None,
    out: Annotated[Path, typer.Option(help="Directory to write into")] = ALERTS_DIR,
    check: Annotated[bool, typer.Option("--check", help="Only check the files there match; exit 1 if not")] = False,
) -> None:
    """Write Prometheus recording and alerting rules, their promtool test suites and alertmanager.yml."""
    spec = _load(spec_path)
    files = generated_files(spec, _spec_label(spec_path))
    if check:
        stale = stale_files(files, out)
        for path in stale:
            typer.echo(f"out of date: {path}", err=True)
        if stale:
            typer.echo("run `todochat slo rules` to regenerate", err=True)
            raise typer.Exit(EXIT_GENERATED_STALE)
        typer.echo(f"{len(files)} generated files under {out} are up to date")
        return
    for path in write_files(files, out):
        typer.echo(f"wrote {path}")


@slo_cli.command()
def canary(
    spec_path: SpecOption = None,
    out: Annotated[Path, typer.Option(help="File to write")] = CANARY_TEMPLATE,
    check: Annotated[bool, typer.Option("--check", help="Only check the file there matches; exit 1 if not")] = False,
) -> None:
    """Write the canary's Argo Rollouts AnalysisTemplate: the rollback triggers and event objectives, on its pods."""
    from slo.canary import analysis_template_file

    text = analysis_template_file(_load(spec_path), _spec_label(spec_path))
    if check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            typer.echo(f"out of date: {out}", err=True)
            typer.echo("run `todochat slo canary` to regenerate", err=True)
            raise typer.Exit(EXIT_GENERATED_STALE)
        typer.echo(f"{out} is up to date")
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


@slo_cli.command()
def alertmanager(
    spec_path: SpecOption = None,
    out: Annotated[Path, typer.Option(help="File to write")] = ALERTS_DIR / "alertmanager.yml",
) -> None:
    """Write only alertmanager.yml (routing by tier, lower tiers inhibited by higher ones per SLO)."""
    import yaml

    spec = _load(spec_path)
    out.write_text(generated_files(spec, _spec_label(spec_path))["alertmanager.yml"], encoding="utf-8")
    typer.echo(f"wrote {out} ({len(yaml.safe_dump(alertmanager_config(spec)).splitlines())} lines)")


@openslo_cli.command("export")
def openslo_export(
    spec_path: SpecOption = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="File to write (default: stdout)")] = None,
) -> None:
    """Export the SLOs OpenSLO can express as OpenSLO v1 YAML; the others are listed on stderr."""
    from slo.openslo import export_spec

    text, skipped = export_spec(_load(spec_path))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
    if skipped:
        typer.echo(f"not expressible in OpenSLO (kept only in our spec): {', '.join(skipped)}", err=True)


@openslo_cli.command("import")
def openslo_import(
    file: Annotated[Path, typer.Argument(help="OpenSLO v1 YAML (Service, SLO and SLI documents)")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="File to write (default: stdout)")] = None,
) -> None:
    """Convert OpenSLO v1 SLOs into a spec of ours, validated."""
    import yaml

    from slo.openslo import import_openslo
    from slo.spec import parse_spec

    try:
        doc = import_openslo(file.read_text(encoding="utf-8"), str(file))
        text = yaml.safe_dump(doc, sort_keys=False, width=200)
        parse_spec(text, str(file))
    except SpecError as err:
        for line in err.problems:
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_SPEC_INVALID) from err
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
