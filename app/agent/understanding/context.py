"""What the conversation already says: the person's latest message, our last reply and the tasks it named.

The offline model is a pure function of its request, so everything it remembers is read back from the
conversation's text (our replies name tasks as "#3 'Buy milk'" or list them as "- #3 Buy milk (...)") and from
the function responses of the current turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.agent.types import Content, FunctionResponse, ModelRequest

_NAMED = re.compile(r"#(\d+) (?:to )?'((?:[^']|'(?!(?:[,.;:)?!]|\s|$)))*)'")
_LISTED = re.compile(r"^- #(\d+) (.+?)(?: \([^()]*\))?$", re.M)
_LOCAL_TIME = re.compile(r"Current local time: (?:[A-Z][a-z]+ )?(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(([^,)]+)")


@dataclass(frozen=True, slots=True)
class Mention:
    """A task as a reply or a tool result named it."""

    task_id: int
    title: str


@dataclass(frozen=True, slots=True)
class Turn:
    """The person's latest message and what came before it that a reply can lean on."""

    message: str
    previous_reply: str | None
    previous_message: str | None
    responses: tuple[FunctionResponse, ...]
    mentioned: tuple[Mention, ...]
    tools: dict[str, frozenset[str]]
    local_time: str | None = None
    zone: str | None = None

    def can(self, tool: str, *args: str) -> bool:
        """The tool is offered and takes every one of `args`."""
        params = self.tools.get(tool)
        return params is not None and all(a in params for a in args)


def mentions_in(text: str) -> tuple[Mention, ...]:
    """The tasks a reply of ours names, in order, each once."""
    found: dict[int, str] = {}
    listed = _LISTED.findall(text)
    for number, title in listed or _NAMED.findall(text):
        found.setdefault(int(number), title)
    return tuple(Mention(k, v) for k, v in found.items())


def mentions_from(response: dict[str, Any]) -> tuple[Mention, ...]:
    """The tasks a tool result is about."""
    tasks = response.get("tasks")
    if isinstance(tasks, list):
        return tuple(Mention(int(t["task_id"]), str(t.get("title", ""))) for t in tasks if "task_id" in t)
    if "task_id" in response:
        return (Mention(int(response["task_id"]), str(response.get("title", ""))),)
    return ()


def _tools(request: ModelRequest) -> dict[str, frozenset[str]]:
    return {t.name: frozenset((t.parameters.get("properties") or {}).keys()) for t in request.tools}


def _last_user_text(contents: list[Content]) -> int | None:
    for index in range(len(contents) - 1, -1, -1):
        if contents[index].role == "user" and contents[index].text:
            return index
    return None


def read_turn(request: ModelRequest) -> Turn:
    """The turn as the model sees it from the request alone."""
    contents = request.contents
    index = _last_user_text(contents)
    message = contents[index].text if index is not None else ""
    before = contents[:index] if index is not None else []
    after = contents[index + 1 :] if index is not None else []
    responses = tuple(r for c in after if c.role == "user" for r in c.responses)
    replies = [c.text for c in before if c.role == "model" and c.text]
    earlier = _last_user_text(before)
    mentioned: tuple[Mention, ...] = ()
    for reply in reversed(replies):
        if mentioned := mentions_in(reply):
            break
    clock = _LOCAL_TIME.search(request.system)
    return Turn(
        message=message,
        previous_reply=replies[-1] if replies else None,
        previous_message=before[earlier].text if earlier is not None else None,
        responses=responses,
        mentioned=mentioned,
        tools=_tools(request),
        local_time=clock.group(1) if clock else None,
        zone=clock.group(2) if clock else None,
    )
