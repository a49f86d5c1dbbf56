"""Liveness and readiness. Readiness runs every registered check concurrently, each bounded in time."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import RuntimeDep
from app.runtime import ReadinessCheck, Runtime

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


async def check_database(runtime: Runtime) -> None:
    async with runtime.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def check_redis(runtime: Runtime) -> None:
    assert runtime.redis is not None
    await runtime.redis.ping()


def readiness_checks(runtime: Runtime) -> dict[str, ReadinessCheck]:
    checks: dict[str, ReadinessCheck] = {"database": check_database}
    if runtime.redis is not None:
        checks["redis"] = check_redis
    checks.update(runtime.readiness_checks)
    return checks


async def _run(name: str, check: ReadinessCheck, runtime: Runtime) -> tuple[str, dict[str, object]]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(runtime), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        outcome: dict[str, object] = {
            "status": "fail",
            "error": f"no answer within {CHECK_TIMEOUT_SECONDS:g}s",
        }
    except Exception as err:
        outcome = {"status": "fail", "error": f"{type(err).__name__}: {err}"[:300]}
    else:
        outcome = {"status": "ok"}
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return name, outcome


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing else."""
    return {"status": "ok"}


@router.get("/health/ready", responses={503: {"description": "A dependency is not ready"}})
async def ready(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: the database (and Redis, and the MCP server, when used) answer."""
    results = dict(
        await asyncio.gather(*(_run(name, check, runtime) for name, check in readiness_checks(runtime).items()))
    )
    healthy = all(r["status"] == "ok" for r in results.values())
    return JSONResponse(
        {"status": "ok" if healthy else "fail", "checks": results},
        status_code=200 if healthy else 503,
        headers=None if healthy else {"Retry-After": "5"},
    )
