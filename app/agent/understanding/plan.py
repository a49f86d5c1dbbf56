"""Plan a turn: for each intent in the message, the next tool call or its reply, replayed over this turn's results.

The model is stateless: each round replays every intent of the message against the function responses that
came back so far. An intent that needs a tool returns a `Call`; one that is settled returns `Done`; the turn's
answer is the first call still to make, or, when every intent is settled, their replies joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from app.agent.understanding import phrase
from app.agent.understanding.context import Mention, Turn, mentions_from, mentions_in
from app.agent.understanding.intents import Intent, Ref
from app.agent.understanding.normalise import normalise
from app.agent.understanding.parse import parse, parse_ref
from app.agent.understanding.references import Resolved, by_name, from_context

_ACTIONS = {"complete": "complete_task", "delete": "delete_task"}
_WHICH = re.compile(r"Which one should I ([a-z ]+)\? Say its number or name\.$")


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Done:
    text: str


def intents_for(turn: Turn) -> list[Intent]:
    """The message's intents, read in the light of our last question."""
    intents = parse(turn.message)
    previous = turn.previous_reply or ""
    if len(intents) != 1:
        return intents
    only = intents[0]
    which = _WHICH.search(previous)
    if (which and only.kind in {"unknown", "add", "complete"} and only.statement) or (which and only.kind == "unknown"):
        ref = parse_ref(normalise(turn.message))
        original = parse(turn.previous_message or "")
        if ref is not None and len(original) == 1 and original[0].ref is not None:
            return [replace(original[0], ref=_answer_ref(ref, turn.mentioned))]
    if previous.endswith(phrase.ASK_TITLE) and only.statement and only.kind in {"add", "unknown"}:
        return [Intent("add", title=only.title or turn.message.strip(), slots=only.slots)]
    return intents


def _answer_ref(ref: Ref, options: tuple[Mention, ...]) -> Ref:
    # "the bank one" / "the second" answering "which one?" means one of the options we offered.
    if ref.name is not None:
        found = by_name(ref.name, options)
        if found.task is not None:
            return Ref(task_id=found.task.task_id)
    if ref.task_id is not None and ref.task_id <= len(options) and all(o.task_id != ref.task_id for o in options):
        return Ref(ordinal=ref.task_id)
    return ref


def answer(turn: Turn) -> Call | Done:
    """The next step of this turn."""
    responses = [r.response for r in turn.responses]
    texts: list[str] = []
    used = 0
    mentioned = turn.mentioned
    for intent in intents_for(turn):
        taken: list[dict[str, Any]] = []
        while True:
            step = _step(intent, replace(turn, mentioned=mentioned), taken)
            if isinstance(step, Done):
                texts.append(step.text)
                break
            if used >= len(responses):
                return step
            taken.append(responses[used])
            used += 1
        if taken and (latest := mentions_from(taken[-1])):
            mentioned = latest
    return Done(" ".join(texts) if len(texts) < 3 else "\n".join(texts))


def _step(intent: Intent, turn: Turn, taken: list[dict[str, Any]]) -> Call | Done:
    if taken and "error" in taken[-1]:
        return Done(phrase.error(taken[-1], _last_args(intent)))
    kind = intent.kind
    if kind in {"greet", "help"}:
        return Done(("Hello! " if kind == "greet" else "") + phrase.HELP)
    if kind == "thanks":
        return Done("You're welcome! Anything else for your list?")
    if kind == "bye":
        return Done("Goodbye! Your tasks will be here when you come back.")
    if kind == "unknown":
        return Done(phrase.unknown(intent.said))
    if kind == "ask_title":
        return Done(phrase.ASK_TITLE)
    if not turn.tools:
        return Done("I can't reach your task list right now; please try again in a moment.")
    if kind == "add":
        return _add(intent, turn, taken)
    if kind in {"list", "count"}:
        return _list(intent, turn, taken)
    if kind == "undo":
        if not turn.can("undo_last_change"):
            return Done(phrase.unsupported("undo changes"))
        if not taken:
            return Call("undo_last_change", {})
        return Done(phrase.undone(taken[-1]))
    if kind == "bulk":
        return _bulk(intent, turn, taken, confirmed=False)
    if kind in {"confirm", "deny"}:
        return _confirmation(intent, turn, taken)
    return _on_task(intent, turn, taken)


def _last_args(intent: Intent) -> dict[str, Any]:
    return {"title": intent.title or "", "description": intent.description or ""}


def _slot_args(intent: Intent) -> dict[str, Any]:
    slots = intent.slots
    args: dict[str, Any] = {}
    if slots.due:
        args["due"] = slots.due
    if slots.priority:
        args["priority"] = slots.priority
    if slots.tags:
        args["tags"] = list(slots.tags)
    if slots.recurrence:
        args["recurrence"] = slots.recurrence
    if slots.remind:
        args["remind"] = slots.remind
    return args


_FEATURES = {"due": "set due dates", "priority": "set priorities", "tags": "tag tasks", "recurrence": "repeat tasks",
             "remind": "set reminders", "add_tags": "tag tasks"}  # fmt: skip


def _missing(turn: Turn, tool: str, args: dict[str, Any]) -> Done | None:
    lacking = [a for a in args if not turn.can(tool, a)]
    if lacking:
        return Done(phrase.unsupported(_FEATURES.get(lacking[0], f"use '{lacking[0]}'")))
    return None


def _add(intent: Intent, turn: Turn, taken: list[dict[str, Any]]) -> Call | Done:
    if taken:
        return Done(phrase.changed(intent, taken[-1], None))
    args: dict[str, Any] = {"title": intent.title} | _slot_args(intent)
    if intent.description:
        args["description"] = intent.description
    return _missing(turn, "add_task", args) or Call("add_task", args)


def _list(intent: Intent, turn: Turn, taken: list[dict[str, Any]]) -> Call | Done:
    if taken:
        result = taken[-1]
        return Done(phrase.summary(result) if intent.kind == "count" else phrase.listing(intent.filter, result))
    args = intent.filter.args() if intent.kind == "list" else {"status": "all"}
    filters = {k: v for k, v in args.items() if k != "status"}
    lacking = [a for a in filters if not turn.can("list_tasks", a)]
    if lacking:
        return Done(
            phrase.unsupported("filter tasks by " + {"due": "due date", "tags": "tag"}.get(lacking[0], lacking[0]))
        )
    return Call("list_tasks", args)


def _bulk(intent: Intent, turn: Turn, taken: list[dict[str, Any]], *, confirmed: bool) -> Call | Done:
    action = intent.action or "delete"
    if not turn.can("bulk_update_tasks"):
        return Done(phrase.unsupported("change several tasks at once"))
    args: dict[str, Any] = {"action": action} | intent.filter.args()
    if action == "reschedule" and intent.slots.due:
        args["new_due"] = intent.slots.due
    if action == "set_priority" and intent.slots.priority:
        args["new_priority"] = intent.slots.priority
    if action == "add_tags":
        args["new_tags"] = list(intent.slots.tags)
    if not taken:
        return Call("bulk_update_tasks", args)
    result = taken[-1]
    if result.get("status") == "needs_confirmation":
        if confirmed and len(taken) == 1:
            return Call("bulk_update_tasks", args | {"confirm_token": result.get("confirm_token")})
        return Done(phrase.preview(action, result))
    return Done(phrase.bulk_done(action, result))


def _confirmation(intent: Intent, turn: Turn, taken: list[dict[str, Any]]) -> Call | Done:
    previous = turn.previous_reply or ""
    waiting = previous.endswith(phrase.CONFIRM_TAIL)
    if not waiting:
        return Done("OK." if intent.kind == "confirm" else "OK, nothing changed.")
    if intent.kind == "deny":
        return Done("OK, I left them as they were.")
    asked = [i for i in parse(turn.previous_message or "") if i.kind == "bulk"]
    if not asked:
        return Done("I'm not sure what to go ahead with; please say it again.")
    promised = {m.task_id for m in mentions_in(previous)}
    if len(taken) == 1 and taken[0].get("status") == "needs_confirmation":
        now = {int(t["task_id"]) for t in taken[0].get("tasks", [])}
        if promised and now != promised:
            return Done("Your list changed since I asked. " + phrase.preview(asked[0].action or "delete", taken[0]))
    return _bulk(asked[0], turn, taken, confirmed=True)


def _on_task(intent: Intent, turn: Turn, taken: list[dict[str, Any]]) -> Call | Done:
    ref = intent.ref or Ref(pronoun=True)
    listed = bool(taken) and "tasks" in taken[0] and ref.task_id is None
    found: Resolved | None
    if ref.task_id is not None:
        found = Resolved(task=Mention(ref.task_id, ""))
    else:
        found = from_context(ref, turn.mentioned)
        if found is None:
            if not taken:
                return Call("list_tasks", {"status": "all"})
            tasks = mentions_from(taken[0])
            found = by_name(ref.name or "", tasks, statement=intent.statement)
    if found.task is None:
        return Done(_unresolved(intent, ref, found))
    acted = taken[1:] if listed else taken
    if acted:
        return Done(phrase.changed(intent, acted[-1], found.task))
    return _act(intent, turn, found.task.task_id)


def _unresolved(intent: Intent, ref: Ref, found: Resolved) -> str:
    if found.candidates:
        return phrase.which(intent, found.candidates, ref.name)
    if found.problem == "none_mentioned":
        return "I'm not sure which task you mean. Say its number or part of its title, or 'show my tasks'."
    if found.problem == "no_such_place":
        return "I haven't listed that many tasks here. Say 'show my tasks' to see them with their numbers."
    if intent.statement:
        return (f"Good to hear! I couldn't find a task matching '{ref.name}' to mark done, so nothing changed. "
                "Say 'show my tasks' to see your list.")  # fmt: skip
    return f"I couldn't find a task matching '{ref.name}'. Say 'show my tasks' to see what's on your list."


def _act(intent: Intent, turn: Turn, task_id: int) -> Call | Done:
    if intent.kind in _ACTIONS:
        return Call(_ACTIONS[intent.kind], {"task_id": task_id})
    args: dict[str, Any] = {"task_id": task_id}
    if intent.kind == "reopen":
        args["completed"] = False
    elif intent.kind == "rename":
        args["title"] = intent.title
    elif intent.kind == "describe":
        args["description"] = intent.description
    else:
        args |= _slot_args(intent)
        if "tags" in args and turn.can("update_task", "add_tags"):
            args["add_tags"] = args.pop("tags")  # "tag it errands" adds a tag; it keeps the others
    return _missing(turn, "update_task", args) or Call("update_task", args)
