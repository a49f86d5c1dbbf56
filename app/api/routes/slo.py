"""GET /api/v1/slo: this process's SLOs, and their gauges on /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from app.api.deps import SLOMonitorDep
from app.core.slo_monitor import get_monitor

router = APIRouter(tags=["slo"])


@router.get("/slo")
def slo_state(monitor: SLOMonitorDep) -> dict[str, Any]:
    """Every SLO of this process: SLI, error budget left, burn rates, time to exhaustion, alert tiers, recovery
    objectives, and the error budget policy's decision."""
    data = monitor.report().to_dict()
    data["source"] = {
        "kind": "process",
        "history_started_at": monitor.history.started_at,
        "note": "windows longer than this process's life count from its start; Prometheus holds the full period",
    }
    return data


def install(app: FastAPI, spec_path: Path | None = None) -> None:
    """Serve GET /api/v1/slo and export the SLO gauges on /metrics."""
    app.state.slo_monitor = get_monitor(spec_path)
    app.include_router(router, prefix="/api/v1")
