"""Running the smoke steps: each timed, the first failure stops the rest, and cleanup always runs."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx2

from app.smoke.steps import CLEANUP, STEPS, SmokeContext, Step, StepFailed, Unreachable

# Exit codes of `todochat smoke` (docs/deployment.md). 2 is a usage error (typer's own).
EXIT_OK = 0
EXIT_STEP_FAILED = 1  # the service answered wrongly; everything the run created was removed
EXIT_LEFT_BEHIND = 3  # cleanup failed: the smoke account may still exist (the report names it)
EXIT_UNREACHABLE = 69  # nothing answered at the URL (EX_UNAVAILABLE); nothing was created

Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    outcome: Outcome
    seconds: float
    detail: str


@dataclass(frozen=True, slots=True)
class SmokeReport:
    url: str
    run_id: str
    steps: tuple[StepResult, ...]
    unreachable: bool
    seconds: float

    @property
    def exit_code(self) -> int:
        if self.unreachable:
            return EXIT_UNREACHABLE
        by_name = {s.name: s for s in self.steps}
        if by_name[CLEANUP[0]].outcome == "failed":
            return EXIT_LEFT_BEHIND
        return EXIT_STEP_FAILED if any(s.outcome == "failed" for s in self.steps) else EXIT_OK

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "run_id": self.run_id,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "steps": [{**asdict(s), "seconds": round(s.seconds, 3)} for s in self.steps],
        }


async def _timed(name: str, step: Step, ctx: SmokeContext) -> tuple[StepResult, bool]:
    """The step's result, and whether nothing answered at all."""
    started = time.perf_counter()
    try:
        detail = await step(ctx)
    except Unreachable as err:
        return StepResult(name, "failed", time.perf_counter() - started, str(err)), True
    except StepFailed as err:
        return StepResult(name, "failed", time.perf_counter() - started, str(err)), False
    return StepResult(name, "passed", time.perf_counter() - started, detail), False


async def run_smoke(
    url: str, *, mcp_url: str | None = None, request_timeout: float = 30.0, headers: dict[str, str] | None = None
) -> SmokeReport:
    """Run every step against the deployment at `url`, then clean up whatever happened.

    `request_timeout` bounds each request (a chat turn included), not the whole run.
    """
    started = time.perf_counter()
    base = url.rstrip("/")
    results: list[StepResult] = []
    unreachable = False
    async with httpx2.AsyncClient(base_url=base, headers=headers, timeout=httpx2.Timeout(request_timeout)) as http:
        ctx = SmokeContext(http=http, mcp_url=mcp_url or f"{base}/mcp/", timeout=request_timeout)
        try:
            for name, step in STEPS:
                if results and results[-1].outcome != "passed":
                    results.append(StepResult(name, "skipped", 0.0, "an earlier step failed"))
                    continue
                result, unreachable_now = await _timed(name, step, ctx)
                results.append(result)
                unreachable = unreachable or unreachable_now
        finally:
            # Also on Ctrl-C or a bug in a step: the account must not outlive the run.
            cleaned, _ = await _timed(*CLEANUP, ctx)
            results.append(cleaned)
    return SmokeReport(base, ctx.run_id, tuple(results), unreachable, time.perf_counter() - started)
