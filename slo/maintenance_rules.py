"""Maintenance windows for Alertmanager and Prometheus, generated from the calendar (data; the CLI writes it).

Neither tool follows an RRULE: Alertmanager time intervals know weekdays but not "every other Sunday", and PromQL
has no calendar. Both get the same concrete windows (`concrete_windows`, the spec's `calendar.from`..`until`):
one time interval entry per UTC day a window touches, and one term per window in the PromQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slo.maintenance import MUTED_TIERS, MaintenanceCalendar, MaintenanceWindow, concrete_windows
from telemetry import conventions as c

_DAY = dt.timedelta(days=1)


def _clock(moment: dt.datetime, day: dt.datetime) -> str:
    """HH:MM of `moment` on `day`; the next midnight is "24:00", as Alertmanager writes the end of a day."""
    if moment - day == _DAY:
        return "24:00"
    return moment.strftime("%H:%M")


def day_pieces(window: MaintenanceWindow) -> list[tuple[dt.datetime, dt.datetime, dt.datetime]]:
    """(day, start, end) for each UTC day the window touches: Alertmanager's times never cross midnight."""
    out = []
    day = window.start.replace(hour=0, minute=0)
    while day < window.end:
        out.append((day, max(window.start, day), min(window.end, day + _DAY)))
        day += _DAY
    return out


def time_intervals(cal: MaintenanceCalendar) -> list[dict[str, Any]]:
    """The `time_intervals:` entry named `maintenance`: one interval per UTC day of each window (UTC)."""
    entries = []
    for window in concrete_windows(cal):
        for day, start, end in day_pieces(window):
            entries.append(
                {
                    "times": [{"start_time": _clock(start, day), "end_time": _clock(end, day)}],
                    "days_of_month": [str(day.day)],
                    "months": [str(day.month)],
                    "years": [str(day.year)],
                }
            )
    return [{"name": c.TIME_INTERVAL_MAINTENANCE, "time_intervals": entries}]


def mute_intervals(tier: str) -> list[str]:
    """The time intervals a tier's route is muted in: maintenance for medium and low, none for the paging tiers."""
    return [c.TIME_INTERVAL_MAINTENANCE] if tier in MUTED_TIERS else []


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def active_expr(cal: MaintenanceCalendar) -> str:
    """PromQL that is 1 inside a window and 0 outside: one `[start <= time() < end]` term per window."""
    terms = [f"(time() >= bool {_epoch(w.start)}) * (time() < bool {_epoch(w.end)})" for w in concrete_windows(cal)]
    return "vector(\n  " + "\n  + ".join(terms) + "\n)" if terms else "vector(0)"


def next_start_expr(cal: MaintenanceCalendar) -> str:
    """PromQL for the next window's start (nothing after the calendar's last window): the first start after now."""
    starts = [f"vector({_epoch(w.start)}) > time()" for w in concrete_windows(cal)]
    # `or` keeps its left side where both have the same (empty) labels: in start order, that is the earliest.
    return "\nor ".join(starts) if starts else "vector(0) > 1"


def maintenance_group(cal: MaintenanceCalendar) -> dict[str, Any]:
    """`slo:maintenance:active`, the next window's start, and the UpcomingMaintenance notice."""
    notice = int(cal.notice.total_seconds())
    label = cal.notice_label
    rules: list[dict[str, Any]] = [
        {"record": c.RULE_MAINTENANCE_ACTIVE, "expr": active_expr(cal)},
        {"record": c.RULE_MAINTENANCE_NEXT_START, "expr": next_start_expr(cal)},
        {
            "alert": c.ALERT_UPCOMING_MAINTENANCE,
            "expr": f"{c.RULE_MAINTENANCE_NEXT_START} - time() <= {notice}",
            "labels": {c.LABEL_SEVERITY: "low", c.LABEL_SLO: "maintenance"},
            "annotations": {
                "summary": f"A maintenance window starts within {label}",
                "description": (
                    f"Announce it: the next maintenance window starts within {label} (GET /api/v1/maintenance has "
                    "its times and reason; the web UI shows a banner). Medium and low alerts are muted during it; "
                    "critical and high still page."
                ),
                "runbook_url": cal.runbook_url,
                "dashboard_url": cal.dashboard_url,
            },
        },
    ]
    return {"name": "maintenance", "rules": rules}
