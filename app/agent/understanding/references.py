"""Which task a reference means: by number, by pronoun or place in the last list, or by (misspelt) title words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from app.agent.understanding.context import Mention
from app.agent.understanding.intents import Ref

_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "to",
        "for",
        "of",
        "and",
        "on",
        "in",
        "with",
        "task",
        "one",
        "at",
        "about",
        "up",
        "that",
        "this",
        "it",
    ]
)
_WORD_MATCH = 75  # rapidfuzz ratio at which two words count as the same ("called" ~ "call", "lisbn" ~ "lisbon")


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a reference came to: one task, several candidates, or nothing (with the reason in `problem`)."""

    task: Mention | None = None
    candidates: tuple[Mention, ...] = ()
    problem: str | None = None


def from_context(ref: Ref, mentioned: tuple[Mention, ...]) -> Resolved | None:
    """A pronoun or place resolved from the tasks last mentioned; None when the reference needs the task list."""
    if ref.pronoun:
        if len(mentioned) == 1:
            return Resolved(task=mentioned[0])
        if mentioned:
            return Resolved(candidates=mentioned)
        return Resolved(problem="none_mentioned")
    if ref.ordinal is not None:
        index = ref.ordinal - 1 if ref.ordinal > 0 else len(mentioned) + ref.ordinal
        if 0 <= index < len(mentioned):
            return Resolved(task=mentioned[index])
        return Resolved(problem="no_such_place")
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _STOPWORDS]


def score(name: str, title: str) -> float:
    """How well a name fits a title, 0-1: the share of the name's words found (typos forgiven) in the title."""
    words = _words(name)
    titles = _words(title)
    if not words or not titles:
        return 0.0
    if name.lower().strip() == title.lower().strip():
        return 2.0
    found = sum(1 for w in words if max(fuzz.ratio(w, t) for t in titles) >= _WORD_MATCH)
    return found / len(words)


def by_name(name: str, tasks: tuple[Mention, ...], *, statement: bool = False) -> Resolved:
    """The task whose title best fits the name; several when they fit equally well."""
    scored = sorted(((score(name, t.title), t) for t in tasks), key=lambda pair: -pair[0])
    least = 0.6 if statement else 0.5
    best = [t for s, t in scored if s >= least and s == scored[0][0]] if scored else []
    if not best:
        return Resolved(problem="no_match")
    if len(best) == 1:
        return Resolved(task=best[0])
    return Resolved(candidates=tuple(best))
