"""Maintenance windows: the spec section, the window arithmetic, and the generated Alertmanager intervals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from slo.errors import SpecError
from slo.load import load_spec, spec_from_text
from slo.maintenance import (
    MaintenanceCalendar,
    active_at,
    announced,
    build_calendar,
    concrete_windows,
    in_maintenance,
    next_window,
    upcoming,
    windows_between,
)
from slo.maintenance_rules import time_intervals
from slo.spec import parse_spec

UTC = dt.UTC
HEADER = "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: t\nslos: []\n"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def calendar(section: str) -> MaintenanceCalendar:
    return spec_from_text(HEADER + section).maintenance


DEFAULT = load_spec().maintenance
WITH_ONE_OFF = calendar(
    """
maintenance:
  calendar: {from: 2026-12-01, until: 2027-01-31}
  recurring:
    - {name: biweekly, reason: patching, rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", start: 2026-01-04T02:00:00Z,
       duration: 2h}
  windows:
    - {start: 2026-12-24T22:00:00Z, end: 2026-12-25T01:30:00Z, reason: database upgrade}
"""
)

INSIDE = [
    pytest.param(DEFAULT, "2026-12-06T02:00", True, id="a window's first minute is inside it"),
    pytest.param(DEFAULT, "2026-12-06T03:59", True, id="a window's last minute is inside it"),
    pytest.param(DEFAULT, "2026-12-06T04:00", False, id="the end of a window is outside it"),
    pytest.param(DEFAULT, "2026-12-06T01:59", False, id="a minute before the start is outside"),
    pytest.param(DEFAULT, "2026-12-13T03:00", False, id="the sunday between two bi-weekly windows has none"),
    pytest.param(DEFAULT, "2026-12-20T03:00", True, id="two weeks later is a window again"),
    pytest.param(DEFAULT, "2026-12-09T03:00", False, id="a wednesday at the same hour is outside"),
    pytest.param(WITH_ONE_OFF, "2026-12-24T23:00", True, id="a one-off window counts"),
    pytest.param(WITH_ONE_OFF, "2026-12-25T01:00", True, id="a one-off window across midnight counts the next day"),
    pytest.param(WITH_ONE_OFF, "2026-12-25T01:30", False, id="a one-off window ends at its end"),
]


@pytest.mark.parametrize(("cal", "moment", "inside"), INSIDE)
def test_a_moment_is_inside_a_window_from_its_start_until_its_end(
    cal: MaintenanceCalendar, moment: str, inside: bool
) -> None:
    assert in_maintenance(cal, at(moment)) is inside
    assert bool(active_at(cal, at(moment))) is inside


NEXT = [
    pytest.param(DEFAULT, "2026-12-03T12:00", "2026-12-06T02:00", id="thursday's next window is sunday's"),
    pytest.param(DEFAULT, "2026-12-06T02:00", "2026-12-20T02:00", id="during a window the next is two weeks on"),
    pytest.param(DEFAULT, "2026-12-06T04:00", "2026-12-20T02:00", id="after a window the next is two weeks on"),
    pytest.param(WITH_ONE_OFF, "2026-12-21T00:00", "2026-12-24T22:00", id="a one-off window before the next sunday"),
]


@pytest.mark.parametrize(("cal", "moment", "start"), NEXT)
def test_the_next_window_is_the_first_to_start_after_a_moment(
    cal: MaintenanceCalendar, moment: str, start: str
) -> None:
    window = next_window(cal, at(moment))
    assert window is not None
    assert window.start == at(start)


BETWEEN = [
    pytest.param(DEFAULT, "2026-12-01T00:00", "2027-01-01T00:00", 2, id="december 2026 has two bi-weekly windows"),
    pytest.param(DEFAULT, "2026-12-06T03:00", "2026-12-06T03:30", 1, id="a range inside a window overlaps it"),
    pytest.param(DEFAULT, "2026-12-06T04:00", "2026-12-20T02:00", 0, id="ranges are half open on both windows"),
    pytest.param(WITH_ONE_OFF, "2026-12-24T00:00", "2026-12-26T00:00", 1, id="a one-off window is listed"),
]


@pytest.mark.parametrize(("cal", "start", "end", "count"), BETWEEN)
def test_windows_between_two_moments_are_those_overlapping_the_range(
    cal: MaintenanceCalendar, start: str, end: str, count: int
) -> None:
    assert len(windows_between(cal, at(start), at(end))) == count


ANNOUNCED = [
    pytest.param("2026-12-04T01:59", 0, id="just over 48 hours ahead nothing is announced"),
    pytest.param("2026-12-04T02:00", 1, id="48 hours ahead the window is announced"),
    pytest.param("2026-12-06T03:00", 1, id="an active window stays announced"),
    pytest.param("2026-12-06T04:00", 0, id="after the window nothing is announced"),
]


@pytest.mark.parametrize(("moment", "count"), ANNOUNCED)
def test_windows_are_announced_48_hours_ahead_and_while_active(moment: str, count: int) -> None:
    assert len(announced(DEFAULT, at(moment))) == count


def test_upcoming_lists_the_active_window_then_the_next_ones() -> None:
    found = upcoming(DEFAULT, at("2026-12-06T03:00"), count=2)
    assert [w.start for w in found] == [at("2026-12-06T02:00"), at("2026-12-20T02:00"), at("2027-01-03T02:00")]


def test_leaving_the_section_out_gives_the_deployment_specs_schedule() -> None:
    cal = build_calendar(None)
    window = next_window(cal, at("2026-12-03T12:00"))
    assert window is not None
    assert (window.start, window.end - window.start) == (at("2026-12-06T02:00"), dt.timedelta(hours=2))
    assert cal.notice == dt.timedelta(hours=48)
    assert window.start.weekday() == 6


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param(
            "windows: [{start: 2026-12-24T22:00:00, end: 2026-12-25T01:00:00Z, reason: x}]",
            "time zone",
            id="a window without a time zone is refused",
        ),
        pytest.param(
            "windows: [{start: 2026-12-24T22:00:30Z, end: 2026-12-25T01:00:00Z, reason: x}]",
            "whole minute",
            id="a window off the minute is refused",
        ),
        pytest.param(
            "windows: [{start: 2026-12-25T22:00:00Z, end: 2026-12-25T01:00:00Z, reason: x}]",
            "after start",
            id="a window ending before it starts is refused",
        ),
        pytest.param(
            "windows: [{start: 2026-12-24T22:00:00Z, end: 2026-12-25T01:00:00Z}]",
            "reason",
            id="a window without a reason is refused",
        ),
        pytest.param(
            "recurring: [{name: x, reason: y, rrule: 'FREQ=SOMETIMES', start: 2026-01-04T02:00:00Z, duration: 2h}]",
            "RRULE",
            id="a recurrence that is not an RRULE is refused",
        ),
        pytest.param(
            "recurring: [{name: x, reason: y, rrule: 'FREQ=WEEKLY', start: 2026-01-04T02:00:00Z, duration: 90s}]",
            "whole number of minutes",
            id="a duration off the minute is refused",
        ),
    ],
)
def test_invalid_maintenance_sections_name_the_field(section: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(HEADER + "maintenance:\n  " + section)
    assert message in str(err.value)
    assert "maintenance" in str(err.value)


def _matches(entry: dict[str, Any], moment: dt.datetime) -> bool:
    """Alertmanager's reading of one time interval entry (the fields we generate), in UTC."""
    if [str(moment.year)] != entry["years"] or [str(moment.month)] != entry["months"]:
        return False
    if [str(moment.day)] != entry["days_of_month"]:
        return False
    minute = moment.hour * 60 + moment.minute
    for span in entry["times"]:
        start_h, start_m = (int(p) for p in span["start_time"].split(":"))
        end_h, end_m = (int(p) for p in span["end_time"].split(":"))
        if start_h * 60 + start_m <= minute < end_h * 60 + end_m:  # Alertmanager: start inclusive, end exclusive
            return True
    return False


@pytest.mark.parametrize(
    "cal", [pytest.param(DEFAULT, id="the packaged spec"), pytest.param(WITH_ONE_OFF, id="a one-off window")]
)
def test_generated_alertmanager_intervals_mute_exactly_the_models_windows(cal: MaintenanceCalendar) -> None:
    (interval,) = time_intervals(cal)
    entries = interval["time_intervals"]
    moments = []
    for w in concrete_windows(cal):
        for edge in (w.start, w.end):
            moments += [edge - dt.timedelta(minutes=1), edge, edge + dt.timedelta(minutes=1)]
    step = cal.calendar_from
    while step < cal.calendar_from + dt.timedelta(weeks=8):  # every quarter hour of the first eight weeks, too
        moments.append(step)
        step += dt.timedelta(minutes=15)
    for moment in moments:
        muted = any(_matches(e, moment) for e in entries)
        assert muted is in_maintenance(cal, moment), moment


def test_the_generated_config_mutes_medium_and_low_while_critical_and_high_page() -> None:
    from slo.alertmanager import alertmanager_config

    config = yaml.safe_load(yaml.safe_dump(alertmanager_config(load_spec())))
    muted = {r["matchers"][0]: r.get("mute_time_intervals", []) for r in config["route"]["routes"]}
    assert muted == {
        'severity="critical"': [],
        'severity="high"': [],
        'severity="medium"': ["maintenance"],
        'severity="low"': ["maintenance"],
    }
    assert [i["name"] for i in config["time_intervals"]] == ["maintenance"]


def test_exclude_maintenance_is_refused_on_a_recovery_objective() -> None:
    text = HEADER.replace("slos: []\n", "") + (
        "slos:\n  - name: rto\n    excludeMaintenance: true\n"
        "    indicator: {gauge: {metric: todochat_restore_drill_rto_seconds, objectives: {critical: 15m}}}\n"
    )
    with pytest.raises(SpecError, match="only event SLOs"):
        parse_spec(text)


EXCLUDED = [
    pytest.param("2026-12-06T04:00", 1, id="a window that has just ended is left out"),
    pytest.param("2026-12-06T03:00", 0, id="a window still open counts until it ends"),
    pytest.param("2027-01-05T02:00", 1, id="a window wholly inside the 30-day period is left out"),
    pytest.param("2027-01-05T03:00", 0, id="a window reaching past the period's start counts again"),
]


@pytest.mark.parametrize(("moment", "count"), EXCLUDED)
def test_the_budget_leaves_out_only_whole_ended_windows_inside_the_period(moment: str, count: int) -> None:
    from slo.engine.objectives import excluded_windows

    spec = spec_from_text(
        HEADER.replace("slos: []\n", "")
        + "slos:\n  - name: a\n    target: 0.99\n    excludeMaintenance: true\n"
        + "    indicator: {ratio: {metric: http_server_request_duration_seconds, bad: {http_status_class: 5xx}}}\n"
        + "maintenance:\n  calendar: {from: 2026-12-01, until: 2026-12-10}\n"
    )
    slo = spec.slo("a")
    now = at(moment).timestamp()
    # Only the 6 December window is in this calendar.
    assert len(excluded_windows(slo, now, 30 * 86400)) == count
