"""Which tasks a question is about: status, due window, priority, tags and words to search for."""

from __future__ import annotations

import re
from typing import Literal

from app.agent.understanding.intents import Filter
from app.agent.understanding.slots import Slots

_PENDING = (
    r"\b(?:pending|open|remaining|left|outstanding|incomplete|unfinished|not done|to do|todo|still|due|overdue)\b"
)
_DONE = r"\b(?:completed|complete|done|finished|did i|have i)\b"
_DUE = (
    (r"\b(?:overdue|late|past due|behind)\b", "overdue"),
    (r"\b(?:today|tonight)\b", "today"),
    (r"\btomorrow\b", "tomorrow"),
    (r"\b(?:this week|the week|rest of the week)\b", "this_week"),
    (r"\bnext week\b", "next_week"),
    (r"\b(?:upcoming|coming up|soon|later)\b", "upcoming"),
    (r"\b(?:no date|no due date|without (?:a )?(?:due )?date|undated|unscheduled)\b", "no_date"),
)
_PRIORITY = (
    (r"\b(?:high[- ]priority|high prio|high)\b", ("high",)),
    (r"\burgent\b", ("urgent",)),
    (r"\b(?:important|top priority)\b", ("high", "urgent")),
    (r"\blow[- ]priority\b", ("low",)),
    (r"\bmedium[- ]priority\b", ("medium",)),
)
# Words before "tasks" that describe the question, not a tag ("my pending tasks", "all high priority tasks").
_NOT_TAGS = frozenset(
    [
        "my",
        "all",
        "the",
        "any",
        "pending",
        "open",
        "completed",
        "complete",
        "done",
        "finished",
        "remaining",
        "outstanding",
        "overdue",
        "upcoming",
        "high",
        "low",
        "medium",
        "urgent",
        "priority",
        "important",
        "due",
        "today",
        "today's",
        "tomorrow",
        "tomorrow's",
        "week",
        "week's",
        "unfinished",
        "incomplete",
        "current",
        "other",
        "old",
        "new",
        "recent",
        "those",
        "these",
        "of",
        "your",
        "some",
        "many",
        "show",
        "list",
        "find",
        "display",
        "see",
        "view",
        "get",
        "me",
    ]
)


def read(text: str, *, slots: Slots, query: str | None = None) -> Filter:
    """The filter a question (matching form, without any search words) asks for."""
    text = re.sub(r"\b(?:my )?(?:todo|to-do|to do) list\b", "list", text)
    due = next((window for pattern, window in _DUE if re.search(pattern, text)), None)
    status: Literal["all", "pending", "completed"] = "all"
    if re.search(r"\bwhat have i (?:completed|done|finished)\b|\bdid i (?:complete|finish|do)\b", text):
        status = "completed"
    elif re.search(r"\b(?:all|every|everything)\b", text) and not re.search(_PENDING, text):
        status = "completed" if re.search(r"\b(?:completed|done|finished)\b", text) else "all"
    elif re.search(_PENDING, text) or due:
        status = "pending"
    elif re.search(_DONE, text):
        status = "completed"
    priority = next((level for pattern, level in _PRIORITY if re.search(pattern, text)), ())
    tags = [t for t in re.findall(r"#([a-z][a-z0-9_-]{0,31})\b", text)]
    tagged = re.search(r"\b(?:tagged|tag|labelled|label)\s+#?([a-z][a-z0-9_-]*)\b", text)
    if tagged and tagged.group(1) not in _NOT_TAGS | {"my", "the"}:
        tags.append(tagged.group(1))
    for word in re.findall(r"\b([a-z][a-z0-9_-]*) (?:tasks|todos|items|stuff|things|ones|errands)\b", text):
        if word not in _NOT_TAGS and not word.endswith("'s"):
            tags.append(word)
    return Filter(status=status, query=query, tags=tuple(dict.fromkeys(tags)), priority=priority, due=due)
