"""Maintenance windows: the spec's `maintenance:` section, its frozen model, and pure window arithmetic.

A calendar is recurring windows (an RFC 5545 RRULE from a first start, each lasting `duration`) plus one-off
windows with a reason. Alertmanager and Prometheus cannot follow an RRULE ("every other Sunday"), so the
generators get the concrete windows of `calendar.from`..`calendar.until`; see `concrete_windows`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Final

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from slo.durations import format_duration, parse_duration

UTC: Final = dt.UTC
MUTED_TIERS: Final = ("medium", "low")  # critical and high still page during maintenance
DEFAULT_NOTICE: Final = "48h"
# The deployment spec's schedule: bi-weekly, Sunday 02:00-04:00 UTC. Every other week needs an anchor: the first
# Sunday of 2026.
DEFAULT_FIRST_START: Final = dt.datetime(2026, 1, 4, 2, 0, tzinfo=UTC)
DEFAULT_RRULE: Final = "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU"
DEFAULT_DURATION: Final = "2h"
DEFAULT_REASON: Final = "Bi-weekly maintenance: security patching and non-critical updates"


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give the time zone, e.g. 2026-12-06T02:00:00Z (maintenance times are UTC)")
    value = value.astimezone(UTC)
    # Alertmanager time intervals have minute resolution: anything finer could not be muted exactly.
    if value.second or value.microsecond:
        raise ValueError(f"{value.isoformat()} is not on a whole minute (Alertmanager mutes by the minute)")
    return value


UtcMinute = Annotated[dt.datetime, AfterValidator(_utc)]


def _minutes(text: str) -> str:
    if parse_duration(text) % 60:
        raise ValueError(f"{text!r} is not a whole number of minutes (Alertmanager mutes by the minute)")
    return text


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RecurringDoc(_Doc):
    """Windows repeating by an RRULE, the first one starting at `start`."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    reason: Annotated[str, Field(min_length=1)]
    rrule: str
    start: UtcMinute
    duration: str

    _duration = field_validator("duration")(_minutes)

    @model_validator(mode="after")
    def _parses(self) -> RecurringDoc:
        try:
            rule = rrulestr(self.rrule, dtstart=self.start)
        except (ValueError, TypeError) as err:
            raise ValueError(f"rrule {self.rrule!r} is not an RFC 5545 RRULE: {err}") from err
        if not isinstance(rule, RRule):
            raise ValueError("rrule: give one RRULE (no RDATE/EXRULE sets)")
        return self


class OneOffDoc(_Doc):
    """One window, with its reason."""

    start: UtcMinute
    end: UtcMinute
    reason: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _order(self) -> OneOffDoc:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class CalendarRangeDoc(_Doc):
    """The dates Alertmanager and Prometheus get concrete windows for (they cannot follow an RRULE)."""

    from_: dt.date = Field(alias="from")
    until: dt.date

    @model_validator(mode="after")
    def _order(self) -> CalendarRangeDoc:
        if self.until <= self.from_:
            raise ValueError("until must be after from")
        return self


def _default_recurring() -> list[RecurringDoc]:
    return [
        RecurringDoc(
            name="biweekly",
            reason=DEFAULT_REASON,
            rrule=DEFAULT_RRULE,
            start=DEFAULT_FIRST_START,
            duration=DEFAULT_DURATION,
        )
    ]


class MaintenanceDoc(_Doc):
    """The `maintenance:` section; left out, the deployment spec's schedule applies."""

    notice: str = DEFAULT_NOTICE
    calendar: CalendarRangeDoc = CalendarRangeDoc(from_=dt.date(2026, 1, 1), until=dt.date(2027, 12, 31))
    recurring: list[RecurringDoc] = Field(default_factory=_default_recurring)
    windows: list[OneOffDoc] = []

    _notice = field_validator("notice")(lambda v: (parse_duration(v), v)[1])


@dataclass(frozen=True, slots=True, order=True)
class MaintenanceWindow:
    """One window, [start, end) in UTC."""

    start: dt.datetime
    end: dt.datetime
    reason: str

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Recurrence:
    name: str
    reason: str
    rrule: str
    first_start: dt.datetime
    duration: dt.timedelta

    def starts(self) -> RRule:
        rule = rrulestr(self.rrule, dtstart=self.first_start)
        assert isinstance(rule, RRule)  # the schema refuses rule sets
        return rule


@dataclass(frozen=True, slots=True)
class MaintenanceCalendar:
    """Every maintenance window of the spec, and how early they are announced."""

    recurring: tuple[Recurrence, ...]
    one_off: tuple[MaintenanceWindow, ...]
    notice: dt.timedelta
    calendar_from: dt.datetime  # inclusive
    calendar_until: dt.datetime  # exclusive: the day after the spec's `until`
    runbook_url: str = ""
    dashboard_url: str = ""

    @property
    def notice_label(self) -> str:
        return format_duration(self.notice.total_seconds())


def build_calendar(
    doc: MaintenanceDoc | None, *, runbook_url: str = "", dashboard_url: str = ""
) -> MaintenanceCalendar:
    """The model of a validated `maintenance:` section (None: the deployment spec's schedule)."""
    doc = doc or MaintenanceDoc()
    day = dt.time(0, 0, tzinfo=UTC)
    return MaintenanceCalendar(
        recurring=tuple(
            Recurrence(r.name, r.reason, r.rrule, r.start, dt.timedelta(seconds=parse_duration(r.duration)))
            for r in doc.recurring
        ),
        one_off=tuple(sorted(MaintenanceWindow(w.start, w.end, w.reason) for w in doc.windows)),
        notice=dt.timedelta(seconds=parse_duration(doc.notice)),
        calendar_from=dt.datetime.combine(doc.calendar.from_, day),
        calendar_until=dt.datetime.combine(doc.calendar.until + dt.timedelta(days=1), day),
        runbook_url=runbook_url,
        dashboard_url=dashboard_url,
    )


def windows_between(cal: MaintenanceCalendar, start: dt.datetime, end: dt.datetime) -> list[MaintenanceWindow]:
    """Windows overlapping [start, end), by start time."""
    found: set[MaintenanceWindow] = set()
    for rec in cal.recurring:
        # A window overlaps when it starts before `end` and ends after `start`.
        for begin in rec.starts().between(start - rec.duration, end, inc=False):
            found.add(MaintenanceWindow(begin, begin + rec.duration, rec.reason))
    found.update(w for w in cal.one_off if w.start < end and w.end > start)
    return sorted(found)


def active_at(cal: MaintenanceCalendar, moment: dt.datetime) -> list[MaintenanceWindow]:
    """The windows `moment` falls in (start inclusive, end exclusive)."""
    return windows_between(cal, moment, moment + dt.timedelta(microseconds=1))


def in_maintenance(cal: MaintenanceCalendar, moment: dt.datetime) -> bool:
    """Whether `moment` is inside any maintenance window."""
    return bool(active_at(cal, moment))


def next_window(cal: MaintenanceCalendar, moment: dt.datetime) -> MaintenanceWindow | None:
    """The first window starting after `moment`; None when no window ever does."""
    candidates = [w for w in cal.one_off if w.start > moment]
    for rec in cal.recurring:
        begin = rec.starts().after(moment, inc=False)
        if begin is not None:
            candidates.append(MaintenanceWindow(begin, begin + rec.duration, rec.reason))
    return min(candidates, default=None)


def upcoming(cal: MaintenanceCalendar, moment: dt.datetime, count: int = 3) -> list[MaintenanceWindow]:
    """The windows active at `moment`, then the next `count` to start."""
    out = active_at(cal, moment)
    cursor = moment
    for _ in range(count):
        nxt = next_window(cal, cursor)
        if nxt is None:
            break
        if nxt not in out:
            out.append(nxt)
        cursor = nxt.start
    return out


def announced(cal: MaintenanceCalendar, moment: dt.datetime) -> list[MaintenanceWindow]:
    """Windows active now or starting within the notice period (its end included, as UpcomingMaintenance's `<=`)."""
    return windows_between(cal, moment, moment + cal.notice + dt.timedelta(microseconds=1))


def concrete_windows(cal: MaintenanceCalendar) -> list[MaintenanceWindow]:
    """Every window overlapping the spec's calendar range, overlapping ones merged: what the generators express."""
    merged: list[MaintenanceWindow] = []
    for w in windows_between(cal, cal.calendar_from, cal.calendar_until):
        if merged and w.start <= merged[-1].end:
            last = merged[-1]
            reason = last.reason if w.reason == last.reason else f"{last.reason}; {w.reason}"
            merged[-1] = MaintenanceWindow(last.start, max(last.end, w.end), reason)
        else:
            merged.append(w)
    return merged
