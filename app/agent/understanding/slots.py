"""The attributes a request carries besides its verb: when, how often, reminders, priority, tags.

Each finder takes the matching form of a message and returns what it found and the character spans it used, so
those words can leave the title ("pick up the dry cleaning tomorrow" -> "Pick up the dry cleaning", due
"tomorrow"). Date words are passed to the tools as the person said them: the tools resolve them in the user's
zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.agent.understanding.normalise import Text

_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_SHORT_DAYS = "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_NUM = r"(?:\d+|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|forty-five)"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
_DAY = (
    rf"(?:today|tonight|tomorrow(?: morning| afternoon| evening| night)?|the day after tomorrow|"
    rf"this (?:morning|afternoon|evening|weekend)|(?:next|this|on|coming) (?:week|month|weekend|{_DAYS})|"
    rf"next year|end of (?:the )?(?:day|week|month)|(?:on )?(?:{_DAYS}|{_SHORT_DAYS})(?: morning| afternoon| evening)?|"
    rf"in {_NUM} {_UNIT}|(?:on )?(?:the )?{_ORD} of (?:{_MONTHS})|(?:on )?(?:{_MONTHS}) {_ORD}|"
    rf"(?:on )?{_ORD} (?:{_MONTHS})|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)"
)
_TIME = (
    r"(?:(?:at )?\d{1,2}(?::\d{2})? ?(?:am|pm)|at \d{1,2}(?::\d{2})?|(?:at )?noon|(?:at )?midnight|"
    r"in the (?:morning|afternoon|evening))"
)
_LEAD = r"(?:(?:due|by|before|until|for|on|at) )?"
WHEN = re.compile(rf"(?<!\S){_LEAD}(?:{_DAY}(?: {_TIME})?|{_TIME}(?: {_DAY})?)(?!\S)")

_RRULE_DAYS = {d: d[:2].upper() for d in _DAYS.split("|")}
_EVERY = re.compile(
    rf"(?<!\S)(?:(?:every|each) (?:(?:other|second) )?(?P<what>day|weekday|week|month|year|morning|evening|night|"
    rf"(?:{_DAYS})(?:(?:,| and|, and) (?:{_DAYS}))*|\d+ (?:days|weeks|months))|(?P<adverb>daily|weekly|monthly|"
    rf"yearly|annually|on weekdays))(?: (?P<time>{_TIME}))?(?!\S)"
)
_REMIND = re.compile(
    rf"(?<!\S)(?:and )?(?:remind me|reminder|ping me|nudge me)\s+(?P<when>{_NUM} {_UNIT} (?:before|earlier|ahead)|"
    rf"the (?:evening|day|night) before|{_DAY}(?: {_TIME})?|{_TIME}(?: {_DAY})?)(?!\S)"
)
_PRIORITY = re.compile(
    r"(?<!\S)(?:(?:with |as |at |a |an |to )?(?P<level>low|medium|normal|high|top)[- ](?:priority|prio)|"
    r"(?:with |at |as |a |an )?(?:priority|prio):? (?:to |of |as )?(?P<level2>low|medium|normal|high|urgent)|"
    r"(?:as |an? )?(?P<urgent>urgent|asap|!!+)(?: priority)?)(?!\S)"
)
_TAG_WORDS = re.compile(
    r"(?<!\S)(?:and )?(?:tag(?:ged)? (?:it |them |this |that )?(?:with |as )?|label(?:led)? (?:it )?(?:as )?)"
    r"(?P<tags>[a-z0-9_-]+(?:(?:,| and|, and) [a-z0-9_-]+)*)(?!\S)"
)
_HASHTAG = re.compile(r"(?<!\S)#(?P<tag>[a-z][a-z0-9_-]{0,31})(?!\S)")


@dataclass(frozen=True, slots=True)
class Slots:
    """What a request says about a task besides its title; None where it says nothing."""

    due: str | None = None
    recurrence: str | None = None
    recurrence_words: str | None = None
    remind: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def any(self) -> bool:
        """The request sets at least one attribute."""
        return bool(self.due or self.recurrence or self.remind or self.priority or self.tags)


def _rrule(what: str | None, adverb: str | None, other: bool) -> str:
    interval = ";INTERVAL=2" if other else ""
    if adverb in {"daily"} or what in {"day", "morning", "evening", "night"}:
        return f"FREQ=DAILY{interval}"
    if adverb in {"weekly"} or what == "week":
        return f"FREQ=WEEKLY{interval}"
    if adverb in {"monthly"} or what == "month":
        return f"FREQ=MONTHLY{interval}"
    if adverb in {"yearly", "annually"} or what == "year":
        return f"FREQ=YEARLY{interval}"
    if adverb == "on weekdays" or what == "weekday":
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if what and (count := re.match(r"(\d+) (days|weeks|months)", what)):
        freq = {"days": "DAILY", "weeks": "WEEKLY", "months": "MONTHLY"}[count.group(2)]
        return f"FREQ={freq};INTERVAL={count.group(1)}"
    days = ",".join(_RRULE_DAYS[d] for d in re.findall(_DAYS, what or ""))
    return f"FREQ=WEEKLY{interval};BYDAY={days}"


def _time_words(time: str) -> str:
    time = time.removeprefix("at ")
    bare = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", time)
    if bare:  # "at 8" means 8 o'clock: say it the way a date parser reads unambiguously
        return f"{int(bare.group(1)):02d}:{bare.group(2) or '00'}"
    return time


def _level(match: re.Match[str]) -> str:
    if match.group("urgent"):
        return "urgent"
    level = match.group("level") or match.group("level2") or "medium"
    return {"top": "urgent", "normal": "medium"}.get(level, level)


def extract(text: Text, *, dates: bool = True) -> tuple[Slots, Text]:
    """The attributes in `text` and the text without their words."""
    norm = text.norm
    spans: list[tuple[int, int]] = []
    values: dict[str, object] = {}
    if (remind := _REMIND.search(norm)) is not None:
        values["remind"] = remind.group("when")
        spans.append(remind.span())
    if (every := _EVERY.search(norm)) is not None and not _overlaps(every.span(), spans):
        other = bool(re.search(r"\b(?:other|second)\b", every.group(0)))
        values["recurrence"] = _rrule(every.group("what"), every.group("adverb"), other)
        values["recurrence_words"] = every.group(0)
        if every.group("time"):
            values["due"] = _time_words(every.group("time"))
        spans.append(every.span())
    if dates and "due" not in values:
        for when in WHEN.finditer(norm):
            if not _overlaps(when.span(), spans):
                values["due"] = re.sub(r"^(?:due|by|before|until|for|on) ", "", when.group(0))
                spans.append(when.span())
                break
    for priority in _PRIORITY.finditer(norm):
        if not _overlaps(priority.span(), spans):
            values["priority"] = _level(priority)
            spans.append(priority.span())
            break
    tags: list[str] = []
    for hashtag in _HASHTAG.finditer(norm):
        tags.append(hashtag.group("tag"))
        spans.append(hashtag.span())
    if (tagged := _TAG_WORDS.search(norm)) is not None and not _overlaps(tagged.span(), spans):
        tags.extend(t for t in re.split(r",? and |, ", tagged.group("tags")) if t)
        spans.append(tagged.span())
    slots = Slots(
        due=_str(values.get("due")),
        recurrence=_str(values.get("recurrence")),
        recurrence_words=_str(values.get("recurrence_words")),
        remind=_str(values.get("remind")),
        priority=_str(values.get("priority")),
        tags=tuple(dict.fromkeys(tags)),
    )
    return slots, text.without(spans)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
