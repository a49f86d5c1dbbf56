"""What a request can be: the intent kinds, references to tasks, list filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.agent.understanding.slots import Slots

Kind = Literal[
    "add", "list", "count", "complete", "reopen", "delete", "rename", "describe", "update", "bulk", "undo",
    "confirm", "deny", "help", "greet", "thanks", "bye", "ask_title", "unknown",
]  # fmt: skip
BulkAction = Literal["complete", "reopen", "delete", "reschedule", "set_priority", "add_tags"]


@dataclass(frozen=True, slots=True)
class Ref:
    """Which task a phrase means: a number, a pronoun ("it"), a place in the last list, or words of its title."""

    task_id: int | None = None
    pronoun: bool = False
    ordinal: int | None = None  # 1-based; -1 is "the last one"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """Which tasks a question or a bulk change is about (the list_tasks / bulk_update_tasks filter)."""

    status: Literal["all", "pending", "completed"] = "all"
    query: str | None = None
    tags: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    due: str | None = None

    def args(self) -> dict[str, object]:
        """The filter as tool arguments, defaults left out."""
        args: dict[str, object] = {"status": self.status}
        if self.query:
            args["query"] = self.query
        if self.tags:
            args["tags"] = list(self.tags)
        if self.priority:
            args["priority"] = list(self.priority)
        if self.due:
            args["due"] = self.due
        return args


@dataclass(frozen=True, slots=True)
class Intent:
    """One request in a message, with its slots."""

    kind: Kind
    title: str | None = None
    description: str | None = None
    ref: Ref | None = None
    slots: Slots = field(default_factory=Slots)
    filter: Filter = field(default_factory=Filter)
    action: BulkAction | None = None
    said: str = ""  # the words of the request, for replies that quote it
    statement: bool = False  # read from a plain statement ("milk", "I called the dentist"), not a command
