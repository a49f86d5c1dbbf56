"""GET /api/v1/maintenance: open and upcoming maintenance windows from the SLO spec."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, FastAPI

from app.api.deps import MaintenanceCalendarDep
from app.schemas.maintenance import MaintenancePublic
from app.services.maintenance import maintenance_view
from slo.load import load_spec

router = APIRouter(tags=["maintenance"])


@router.get("/maintenance")
async def maintenance(calendar: MaintenanceCalendarDep) -> MaintenancePublic:
    """Windows open now, then the next ones; `announced` ones start within the notice period (48 hours)."""
    return maintenance_view(calendar=calendar, now=dt.datetime.now(dt.UTC))


def install(app: FastAPI, spec_path: Path | None = None) -> None:
    """Serve GET /api/v1/maintenance from the spec's calendar (the packaged spec when `spec_path` is None)."""
    app.state.maintenance_calendar = load_spec(spec_path).maintenance
    app.include_router(router, prefix="/api/v1")
