"""Writers for a gate's verdict: JSON for machines, JUnit XML for CI systems, a table for people."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from loadtests.evaluate import EXIT_CODES, EXIT_NOT_RUN, PhaseResult, ScenarioVerdict, exit_code
from loadtests.profiles import Profile
from slo.engine.gate import Check


@dataclass(frozen=True, slots=True)
class GateReport:
    """Everything a gate run decided, with where Locust's own reports are."""

    profile: Profile
    host: str
    verdicts: tuple[ScenarioVerdict, ...]
    artifacts: dict[str, dict[str, str]]
    wall_seconds: float
    error: str | None = None

    @property
    def breach_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for v in self.verdicts for k in v.breach_kinds))

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_NOT_RUN
        return exit_code(self.breach_kinds)


def _num(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isinf(value) else round(value, digits)


def _check(ch: Check) -> dict[str, Any]:
    return {
        "kind": ch.kind,
        "subject": ch.subject,
        "value": _num(ch.value),
        "limit": _num(ch.limit),
        "passed": ch.passed,
    }


def _phase(p: PhaseResult) -> dict[str, Any]:
    return {
        "label": p.label,
        "users": p.users,
        "seconds": p.seconds,
        "requests": p.requests,
        "failures": p.failures,
        "requests_per_second": _num(p.rps, 2),
        "endpoints": [
            {
                "method": e.method,
                "name": e.name,
                "requests": e.requests,
                "failures": e.failures,
                "requests_per_second": _num(e.rps, 2),
                "p50_seconds": _num(e.p50),
                "p95_seconds": _num(e.p95),
                "p99_seconds": _num(e.p99),
                "mean_seconds": _num(e.mean),
            }
            for e in p.endpoints
        ],
        "checks": [_check(ch) for ch in p.result.checks],
    }


def to_json(report: GateReport) -> dict[str, Any]:
    return {
        "profile": report.profile.name,
        "description": report.profile.description,
        "host": report.host,
        "passed": report.exit_code == 0,
        "exit_code": report.exit_code,
        "exit_codes": EXIT_CODES,
        "breach_kinds": list(report.breach_kinds),
        "error": report.error,
        "wall_seconds": round(report.wall_seconds, 1),
        "scenarios": [
            {
                "name": v.name,
                "passed": v.passed,
                "aborted": v.aborted,
                "capacity_requests_per_second": _num(v.capacity_rps, 1),
                "checks": [_check(ch) for ch in v.checks],
                "phases": [_phase(p) for p in v.phases],
                "artifacts": report.artifacts.get(v.name, {}),
            }
            for v in report.verdicts
        ],
    }


def junit_xml(report: GateReport) -> bytes:
    """One test suite per scenario, one test case per check; a breach is a failure with value and limit."""
    suites = ET.Element("testsuites", name=f"loadtest {report.profile.name}")
    if report.error is not None:
        suite = ET.SubElement(
            suites, "testsuite", name=f"loadtest.{report.profile.name}", tests="1", failures="0", errors="1"
        )
        case = ET.SubElement(suite, "testcase", classname=f"loadtest.{report.profile.name}", name="run")
        ET.SubElement(case, "error", message=report.error).text = report.error
    for v in report.verdicts:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"loadtest.{report.profile.name}.{v.name}",
            tests=str(len(v.checks)),
            failures=str(len(v.breaches)),
            errors="0",
        )
        for ch in v.checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"loadtest.{report.profile.name}.{v.name}", name=f"{ch.kind}: {ch.subject}"
            )
            if not ch.passed:
                text = f"{ch.subject}: {_fmt(ch.kind, ch.value)} breaches the limit {_fmt(ch.kind, ch.limit)}"
                ET.SubElement(case, "failure", message=text, type=ch.kind).text = text
        if v.aborted:
            ET.SubElement(suite, "system-out").text = f"stopped early: {v.aborted}"
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data


def _fmt(kind: str, value: float | None) -> str:
    if value is None:
        return "-"
    if kind in ("errors", "rollback"):
        return f"{value:.2%}"
    if kind == "throughput":
        return f"{value:.1f}/s"
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def table(report: GateReport) -> str:
    """The verdict at a glance: per scenario and judged window, each endpoint, then every check."""
    lines = [f"loadtest gate --profile {report.profile.name}  ({report.host}, {report.wall_seconds:.0f} s)"]
    if report.error:
        lines.append(f"  NOT RUN: {report.error}")
    for v in report.verdicts:
        head = f"\n[{'PASS' if v.passed else 'FAIL'}] {v.name}"
        if v.capacity_rps is not None:
            head += f"  capacity {v.capacity_rps:.0f} requests/s within the SLO"
        if v.aborted:
            head += f"  (stopped early: {v.aborted})"
        lines.append(head)
        lines.append(
            f"  {'window':<10} {'endpoint':<34} {'req':>7} {'fail':>5} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
        )
        for p in v.phases:
            lines.append(
                f"  {p.label:<10} {'ALL (' + str(p.users) + ' users)':<34} {p.requests:>7} {p.failures:>5} "
                f"{p.rps:>7.1f}"
            )
            for e in p.endpoints:
                lines.append(
                    f"  {'':<10} {(e.method + ' ' + e.name)[:34]:<34} {e.requests:>7} {e.failures:>5} {e.rps:>7.1f} "
                    f"{_ms(e.p50):>7} {_ms(e.p95):>7} {_ms(e.p99):>7}"
                )
        for ch in v.checks:
            mark = "ok  " if ch.passed else "FAIL"
            value, limit = _fmt(ch.kind, ch.value), _fmt(ch.kind, ch.limit)
            lines.append(f"  {mark} {ch.kind:<13} {ch.subject:<48} {value:>10} (limit {limit})")
    code = report.exit_code
    outcome = "PASSED" if code == 0 else f"FAILED ({', '.join(report.breach_kinds) or 'not run'})"
    lines.append(f"\n{outcome}: exit code {code}")
    return "\n".join(lines)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


def write_reports(report: GateReport, directory: Path) -> dict[str, Path]:
    """report.json, junit.xml and summary.txt into `directory` (Locust's HTML reports are already there)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "report.json", "junit": directory / "junit.xml", "summary": directory / "summary.txt"}
    paths["json"].write_text(json.dumps(to_json(report), indent=2) + "\n", encoding="utf-8")
    paths["junit"].write_bytes(junit_xml(report))
    paths["summary"].write_text(table(report) + "\n", encoding="utf-8")
    return paths
