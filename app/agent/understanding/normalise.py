"""Normalise a message: one form to match rules against, with typos in command words corrected.

The matching form (`Text.norm`) has exactly one word for each word of the original (`Text.words`), so a span
found in it maps back to the person's own words, capitals and all, for titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

# The words rules are written in. A word a slip or two away from one of these is read as it.
VOCABULARY = (
    "add", "task", "tasks", "todo", "todos", "complete", "completed", "delete", "remove", "pending", "done", "mark",
    "rename", "show", "list", "finish", "finished", "reopen", "undo", "priority", "high", "urgent", "medium",
    "tomorrow", "today", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "remind", "reminder", "every", "overdue", "week", "please", "clear", "everything", "change", "update",
    "create", "what's", "remaining", "outstanding", "upcoming", "schedule", "reschedule", "description",
)  # fmt: skip
# Words that are right as they are even though they sit near a command word.
_KEEP = frozenset(
    [
        "adds",
        "aside",
        "dad",
        "bad",
        "mad",
        "sad",
        "had",
        "ask",
        "tank",
        "tasty",
        "tusk",
        "thanks",
        "mask",
        "marks",
        "mart",
        "park",
        "dark",
        "shop",
        "show",
        "shown",
        "slow",
        "blow",
        "snow",
        "wow",
        "low",
        "list",
        "lost",
        "last",
        "lisa",
        "mist",
        "dome",
        "dine",
        "tone",
        "bone",
        "gone",
        "none",
        "note",
        "nope",
        "node",
        "high",
        "hike",
        "ugh",
        "week",
        "weak",
        "meek",
        "seek",
        "peek",
        "deep",
        "weed",
        "clean",
        "clear",
        "cheat",
        "dear",
        "year",
        "near",
        "wear",
        "pear",
        "every",
        "very",
        "ever",
        "even",
        "today",
        "toddy",
        "tony",
        "talk",
        "walk",
        "tall",
        "call",
        "mary",
        "task",
        "tasks",
        "tonight",
        "knight",
        "night",
        "delta",
        "delete",
        "remote",
        "remove",
        "remain",
        "reopen",
        "repent",
        "undo",
        "update",
        "change",
        "charge",
        "chance",
        "create",
        "crate",
        "great",
        "treat",
        "please",
        "pleased",
        "lease",
        "tease",
        "priority",
        "prior",
    ]
)
# Short typos a fuzzy ratio cannot tell from other short words: read only where a command word is expected.
_SHORT = {"ad": "add", "ads": "add", "dd": "add", "pls": "please", "plz": "please", "plase": "please"}
_CONTRACTIONS = {
    "whats": "what's",
    "wats": "what's",
    "wat": "what",
    "dont": "don't",
    "ive": "i've",
    "im": "i'm",
    "cant": "can't",
    "thx": "thanks",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "tomorow": "tomorrow",
    "2day": "today",
    "2moro": "tomorrow",
}
# Phrase-level slips fixed in the person's own words too, since they end up in titles.
_PHRASE_FIXES = ((re.compile(r"\b(to|and|also) by\b", re.I), r"\1 buy"),)


@dataclass(frozen=True, slots=True)
class Text:
    """A message as words: `norm` for matching (lower case, typos fixed), `words` as the person wrote them."""

    norm: str
    words: tuple[str, ...]

    def original(self, start: int, end: int | None = None) -> str:
        """The person's words behind the characters `norm[start:end]` (whole words)."""
        end = len(self.norm) if end is None else end
        first = self.norm.count(" ", 0, start)
        last = self.norm.count(" ", 0, max(start, end - 1)) + 1
        return " ".join(self.words[first:last])

    def without(self, spans: list[tuple[int, int]]) -> Text:
        """The text with the words behind the `norm` character spans left out."""
        dropped: set[int] = set()
        for start, end in spans:
            first = self.norm.count(" ", 0, start)
            last = self.norm.count(" ", 0, max(start, end - 1)) + 1
            dropped.update(range(first, last))
        norm = self.norm.split(" ") if self.norm else []
        keep = [i for i in range(len(norm)) if i not in dropped]
        return Text(norm=" ".join(norm[i] for i in keep), words=tuple(self.words[i] for i in keep))


def clean(text: str) -> str:
    """Typographic quotes made plain, one space between words, no trailing punctuation."""
    text = text.strip().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(" .!?;,").strip()


@lru_cache(maxsize=4096)
def correct(word: str) -> str:
    """A command word for a near miss ('compelte' -> 'complete'); other words unchanged."""
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    if len(word) < 4 or word in _KEEP or not word.isalpha():
        return word
    # One slip (a letter missing, extra, wrong or two swapped) in a short word, two in a long one.
    limit = 1 if len(word) < 7 else 2
    found = process.extractOne(word, VOCABULARY, scorer=DamerauLevenshtein.distance, score_cutoff=limit)
    return str(found[0]) if found else word


def normalise(message: str) -> Text:
    """The message as words, with the matching form's typos fixed and short slips read in command position."""
    text = clean(message)
    for pattern, replacement in _PHRASE_FIXES:
        text = pattern.sub(replacement, text)
    words = tuple(text.split(" ")) if text else ()
    norm = [correct(w.lower().strip(",:") or w.lower()) for w in words]
    # Short typos only where a command word starts the request (after politeness): "pls ad a taks".
    for index, word in enumerate(norm[:3]):
        if word in _SHORT and (index == 0 or norm[index - 1] in {"please", "pls", "can", "you", "and"}):
            norm[index] = _SHORT[word]
    return Text(norm=" ".join(norm), words=words)
