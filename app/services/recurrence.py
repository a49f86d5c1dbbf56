"""Repeating tasks: RFC 5545 RRULEs checked and stepped with python-dateutil, and read back as a person would say them.

Occurrences are computed in local wall time and then placed in the zone, so "every day at 8" stays at 8 across a
DST change.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from app.core.errors import InvalidInput

MAX_RULE_LENGTH = 500
_FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday",
         "SU": "Sunday"}  # fmt: skip
_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"]
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_WORD_DAYS = {name.lower(): code for code, name in _DAYS.items()} | {
    name.lower()[:3]: code for code, name in _DAYS.items()
}


def _fields(rule: str, said: str | None = None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in rule.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key or not value:
            raise InvalidInput(f"'{said or rule}' is not a repeat rule; try 'FREQ=WEEKLY;BYDAY=MO' (every Monday).")
        fields[key] = value
    return fields


def normalise(rule: str) -> str:
    """`rule` checked and in canonical form (upper case, no "RRULE:" prefix).

    Raises:
        InvalidInput: not an RRULE, or one that repeats more often than daily.
    """
    text = rule.strip().upper().removeprefix("RRULE:").strip().rstrip(";")
    if not text or len(text) > MAX_RULE_LENGTH:
        raise InvalidInput("A repeat rule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, e.g. 'FREQ=WEEKLY;BYDAY=MO'.")
    fields = _fields(text, rule.strip())
    if fields.get("FREQ") not in _FREQUENCIES:
        raise InvalidInput("Tasks can repeat daily, weekly, monthly or yearly; e.g. 'FREQ=WEEKLY;BYDAY=MO'.")
    try:
        rrulestr(f"RRULE:{text}", dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as err:
        raise InvalidInput(f"'{rule}' is not a repeat rule I can use: {err}.") from err
    return text


def valid_rule(rule: str) -> str:
    """`rule` in canonical form (for validators)."""
    return normalise(rule)


def _rule(rule: str, start: datetime) -> rrule:
    parsed = rrulestr(f"RRULE:{rule}", dtstart=start)
    assert isinstance(parsed, rrule)
    return parsed


def first_on_or_after(rule: str, moment: datetime, tz: ZoneInfo) -> datetime | None:
    """The rule's first occurrence at or after `moment` (UTC), counting from `moment`'s local wall time."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    found = _rule(rule, local).after(local, inc=True)
    return found.replace(tzinfo=tz).astimezone(UTC) if found else None


def next_after(rule: str, due_at: datetime, tz: ZoneInfo, *, not_before: datetime | None = None) -> datetime | None:
    """The occurrence after `due_at` (UTC); with `not_before`, the first one after that too. None: the rule ended."""
    local = due_at.astimezone(tz).replace(tzinfo=None)
    series = _rule(rule, local)
    found = series.after(local)
    if found is not None and not_before is not None:
        floor = not_before.astimezone(tz).replace(tzinfo=None)
        if found <= floor:
            found = series.after(floor)
    return found.replace(tzinfo=tz).astimezone(UTC) if found else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(rule: str) -> str:
    """'every Monday', 'every weekday', 'every 2 weeks on Monday and Thursday', 'every month on the 15th'."""
    fields = _fields(rule)
    freq = fields["FREQ"]
    interval = int(fields.get("INTERVAL", "1"))
    unit = _UNITS[freq]
    days = [d[-2:] for d in fields.get("BYDAY", "").split(",") if d]
    if days == _WEEKDAYS and interval == 1:
        text = "every weekday"
    elif days and freq in {"WEEKLY", "DAILY"} and interval == 1:
        text = "every " + _join([_DAYS[d] for d in days if d in _DAYS])
    else:
        text = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
        if days:
            text += " on " + _join([_DAYS[d] for d in days if d in _DAYS])
        if "BYMONTHDAY" in fields:
            text += " on the " + _join([_ordinal(int(d)) for d in fields["BYMONTHDAY"].split(",")])
    if "COUNT" in fields:
        text += f", {fields['COUNT']} times"
    if "UNTIL" in fields:
        until = fields["UNTIL"][:8]
        text += f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return text


_EVERY = re.compile(r"^(?:every|each|repeat(?:s|ing)?(?: every)?)\s+(?:(\d+|other)\s+)?(.+)$")


def from_words(text: str) -> str | None:
    """An RRULE for everyday words ('every monday', 'daily', 'each weekday', 'every 2 weeks'); None if not one."""
    words = " ".join(text.strip().lower().replace(",", " ").split())
    simple = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY", "yearly": "FREQ=YEARLY",
              "annually": "FREQ=YEARLY", "fortnightly": "FREQ=WEEKLY;INTERVAL=2"}  # fmt: skip
    if words in simple:
        return simple[words]
    match = _EVERY.match(words)
    if not match:
        return None
    count, rest = match.group(1), match.group(2)
    interval = 2 if count == "other" else int(count) if count else 1
    suffix = f";INTERVAL={interval}" if interval > 1 else ""
    rest = re.sub(r"\s+(?:at|from)\s+.*$", "", rest)
    units = {"day": "DAILY", "days": "DAILY", "week": "WEEKLY", "weeks": "WEEKLY", "month": "MONTHLY",
             "months": "MONTHLY", "year": "YEARLY", "years": "YEARLY"}  # fmt: skip
    if rest in units:
        return f"FREQ={units[rest]}{suffix}"
    if rest in {"weekday", "weekdays", "workday", "workdays", "working day", "working days"}:
        return "FREQ=WEEKLY;BYDAY=" + ",".join(_WEEKDAYS)
    if rest in {"weekend", "weekends"}:
        return "FREQ=WEEKLY;BYDAY=SA,SU"
    names = [w for w in re.split(r"\s+(?:and|&)\s+|\s+", rest) if w]
    codes = [_WORD_DAYS.get(w.rstrip("s")) or _WORD_DAYS.get(w) for w in names]
    if codes and all(codes):
        return f"FREQ=WEEKLY{suffix};BYDAY=" + ",".join(c for c in codes if c)
    return None


def parse(text: str) -> str:
    """An RRULE, or everyday words for one, in canonical form.

    Raises:
        InvalidInput: neither.
    """
    rule = from_words(text)
    return normalise(rule if rule is not None else text)
