"""Maintenance windows as the web UI shows them: open now, announced (within the notice), then scheduled."""

from __future__ import annotations

import datetime as dt

from app.schemas.maintenance import MaintenancePublic, MaintenanceWindowPublic, WindowStatus
from slo.maintenance import MaintenanceCalendar, MaintenanceWindow, upcoming

FOLLOWING = 3  # windows listed after the open ones, so people can plan around the next few


def _status(window: MaintenanceWindow, calendar: MaintenanceCalendar, now: dt.datetime) -> WindowStatus:
    if window.contains(now):
        return "active"
    return "announced" if window.start - now <= calendar.notice else "scheduled"


def maintenance_view(*, calendar: MaintenanceCalendar, now: dt.datetime) -> MaintenancePublic:
    """Windows open at `now`, then the next FOLLOWING ones, each with its status."""
    windows = upcoming(calendar, now, count=FOLLOWING)
    return MaintenancePublic(
        now=now,
        notice_seconds=int(calendar.notice.total_seconds()),
        windows=[
            MaintenanceWindowPublic(start=w.start, end=w.end, reason=w.reason, status=_status(w, calendar, now))
            for w in windows
        ],
    )
