"""GET /api/v1/maintenance: the maintenance windows the web UI announces."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from app.schemas.common import UtcDateTime

WindowStatus = Literal["active", "announced", "scheduled"]


class MaintenanceWindowPublic(BaseModel):
    """One window: [start, end) in UTC. `announced` means it starts within the notice period."""

    start: UtcDateTime
    end: UtcDateTime
    reason: str
    status: WindowStatus


class MaintenancePublic(BaseModel):
    """Windows open now, then the next ones; the banner shows those `active` or `announced`."""

    now: UtcDateTime
    notice_seconds: int
    windows: list[MaintenanceWindowPublic]
