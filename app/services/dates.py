"""Dates as people say them, resolved in their own time zone: pure functions, no database.

ISO 8601 is read first; everyday words ("tomorrow at 5pm", "next friday", "in 2 weeks") go to dateparser. A date
without a time is an all-day date: the task is due on that local day, kept as the day's local midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateparser.date import DateDataParser

from app.core.errors import InvalidInput

DEFAULT_ZONE = "UTC"
# An all-day task's relative reminder counts back from this local time on its day.
ALL_DAY_REMINDER_TIME = time(9, 0)
EVENING = time(18, 0)
EVENING_BEFORE = "evening_before"
MAX_REMIND_BEFORE = timedelta(days=30)

# Words that name a time of day: without one, a date is all-day.
_TIME_WORDS = re.compile(
    r"\d\s*(?:am|pm|a\.m\.|p\.m\.)\b|\b\d{1,2}:\d{2}\b|\b(?:noon|midday|midnight|tonight|morning|afternoon|evening|"
    r"night|o'?clock|now|hours?|minutes?|mins?|hrs?)\b|T\d{2}",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
_BEFORE = re.compile(
    r"^(?:(\d+|a|an|one|half an?)\s*)?(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)\s+"
    r"(?:before|earlier|ahead|prior)"
    r"(?:\s+(?:it(?:'s| is)? due|the due (?:date|time)|due))?$"
)
_AT_DUE = re.compile(r"^(?:at|on) (?:the )?(?:due (?:time|date)|time)$|^when (?:it'?s|it is) due$|^at due$")
_EVENING_BEFORE = re.compile(r"^(?:the )?(?:evening|night) before$|^(?:the )?day before$")


@dataclass(frozen=True, slots=True)
class When:
    """A resolved moment: UTC, and whether only a date was given."""

    at: datetime
    all_day: bool


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`.

    Raises:
        InvalidInput: no such zone.
    """
    if name not in _zones():
        raise InvalidInput(f"'{name}' is not a time zone I know; use an IANA name such as 'Europe/Berlin'.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInput(f"'{name}' is not a time zone I know; use an IANA name such as 'Europe/Berlin'.") from err


def valid_zone(name: str) -> str:
    """`name` when it is an IANA zone (for validators)."""
    zone(name)
    return name


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The start of `day` in `tz`, in UTC."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def as_utc(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive moment read as local time in `tz`; an aware one kept; both in UTC."""
    return (moment.replace(tzinfo=tz) if moment.tzinfo is None else moment).astimezone(UTC)


def _from_iso(text: str, tz: ZoneInfo) -> When | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return When(local_midnight(date.fromisoformat(text), tz), all_day=True)
        if re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", text):
            return When(as_utc(datetime.fromisoformat(text), tz), all_day=False)
    except ValueError:
        return None
    return None


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> When:
    """An ISO 8601 date or date-time, or everyday words, resolved in `tz` relative to `now`.

    Raises:
        InvalidInput: the text names no date.
    """
    cleaned = " ".join(text.strip().split())
    iso = _from_iso(cleaned, tz)
    if iso is not None:
        return iso
    local_now = now.astimezone(tz).replace(tzinfo=None)
    words = re.sub(r"^(?:on|by|due|at|before)\s+", "", cleaned, flags=re.IGNORECASE)
    # A parser per call: its settings carry "now", and building one costs well under a millisecond.
    parser = DateDataParser(
        languages=["en"],
        settings={"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False, "RELATIVE_BASE": local_now},
    )
    parsed = parser.get_date_data(words)
    if parsed.date_obj is None:
        raise InvalidInput(f"I couldn't read '{text}' as a date; try 'tomorrow 5pm', 'next friday' or '2026-12-24'.")
    moment = parsed.date_obj
    if moment.tzinfo is not None:
        return When(moment.astimezone(UTC), all_day=False)
    if not _TIME_WORDS.search(words):
        return When(local_midnight(moment.date(), tz), all_day=True)
    return When(as_utc(moment.replace(microsecond=0), tz), all_day=False)


def remind_time(*, due_at: datetime | None, all_day: bool, rule: str, tz: ZoneInfo) -> datetime | None:
    """When a relative reminder `rule` fires for a task due at `due_at` (None: the task has no due date)."""
    if due_at is None:
        return None
    local_due = due_at.astimezone(tz)
    if rule == EVENING_BEFORE:
        return datetime.combine(local_due.date() - timedelta(days=1), EVENING, tz).astimezone(UTC)
    base = datetime.combine(local_due.date(), ALL_DAY_REMINDER_TIME, tz) if all_day else local_due
    return (base - duration(rule)).astimezone(UTC)


def duration(rule: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours and minutes ("PT30M", "P1D").

    Raises:
        InvalidInput: not such a duration, or longer than 30 days.
    """
    match = _DURATION.fullmatch(rule)
    if not match or rule in {"P", "PT"}:
        raise InvalidInput(f"'{rule}' is not a reminder I understand; try '30 minutes before' or 'PT30M'.")
    weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    if span > MAX_REMIND_BEFORE:
        raise InvalidInput("A reminder can be at most 30 days before the due date.")
    return span


def valid_remind_before(rule: str) -> str:
    """`rule` when it is a relative reminder (for validators)."""
    if rule != EVENING_BEFORE:
        duration(rule)
    return rule


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder as asked for: a relative rule, or an instant."""

    before: str | None = None
    at: datetime | None = None


_UNITS = {"m": "M", "h": "H", "d": "D", "w": "W"}


def parse_reminder(text: str, tz: ZoneInfo, now: datetime) -> Reminder:
    """'30 minutes before', 'the evening before', 'at due time', 'PT1H', or a moment ('tomorrow 9am').

    Raises:
        InvalidInput: none of those.
    """
    cleaned = " ".join(text.strip().lower().split())
    cleaned = re.sub(r"^(?:remind me\s+)?", "", cleaned)
    if cleaned.upper().startswith("P"):
        return Reminder(before=valid_remind_before(cleaned.upper()))
    if cleaned == EVENING_BEFORE or _EVENING_BEFORE.match(cleaned):
        return Reminder(before=EVENING_BEFORE if "day before" not in cleaned else "P1D")
    if _AT_DUE.match(cleaned):
        return Reminder(before="PT0M")
    match = _BEFORE.match(cleaned)
    if match:
        amount_text, unit = match.group(1) or "1", match.group(2)
        amount = {"a": 1, "an": 1, "one": 1}.get(amount_text, 0)
        if amount_text.startswith("half"):
            return Reminder(before="PT30M")
        amount = amount or int(amount_text)
        letter = _UNITS[unit[0]]
        rule = f"P{amount}{letter}" if letter in {"D", "W"} else f"PT{amount}{letter}"
        return Reminder(before=valid_remind_before(rule))
    return Reminder(at=parse_when(text, tz, now).at)
