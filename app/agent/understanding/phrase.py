"""What the replies say: the right verb, the task's number and title, and errors as a person would put them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.agent.understanding.context import Mention
from app.agent.understanding.intents import Filter, Intent

HELP = (
    "I keep your todo list. Try: 'add call mom tomorrow at 5pm #family', 'what's due this week?', "
    "'mark it done', 'make the bank one high priority', 'water plants every monday', "
    "'remind me 30 minutes before', 'clear all completed tasks', 'undo that'."
)
ASK_TITLE = "What should the new task be called?"
CONFIRM_TAIL = "Say yes to go ahead, or no to leave them as they are."
_VERBS = {"delete": "Delete", "complete": "Complete", "reopen": "Reopen", "reschedule": "Reschedule",
          "set_priority": "Change the priority of", "add_tags": "Tag"}  # fmt: skip
_DONE_VERBS = {"delete": "Deleted", "complete": "Completed", "reopen": "Reopened", "reschedule": "Rescheduled",
               "set_priority": "Changed the priority of", "add_tags": "Tagged"}  # fmt: skip


def task(result: dict[str, Any] | Mention) -> str:
    if isinstance(result, Mention):
        return f"task #{result.task_id} '{result.title}'"
    return f"task #{result.get('task_id')} '{result.get('title')}'"


def when(value: str | None, all_day: bool = False) -> str:
    """'Thu 3 Dec 17:00' from an ISO instant (already in the user's offset); the text itself when not ISO."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = f"{moment:%a} {moment.day} {moment:%b}"
    return day if all_day else f"{day} {moment:%H:%M}"


def details(result: dict[str, Any]) -> str:
    """Due date, priority, tags, repetition and reminder of a task, as a short parenthesis-free phrase."""
    parts = []
    if result.get("due_at"):
        parts.append(f"due {when(result['due_at'], bool(result.get('all_day')))}")
    if result.get("recurrence_text"):
        parts.append(str(result["recurrence_text"]))
    if result.get("priority"):
        parts.append(f"{result['priority']} priority")
    if result.get("tags"):
        parts.append(" ".join(f"#{t}" for t in result["tags"]))
    if result.get("remind_at"):
        parts.append(f"reminder {when(result['remind_at'])}")
    return ", ".join(parts)


def line(item: dict[str, Any], *, marks: bool) -> str:
    facts = [("completed" if item.get("completed") else "pending")] if marks else []
    if item.get("due_state") == "overdue" and not item.get("completed"):
        facts.append("overdue")
    if extra := details(item):
        facts.append(extra)
    return f"- #{item['task_id']} {item['title']}" + (f" ({', '.join(facts)})" if facts else "")


def listing(flt: Filter, result: dict[str, Any]) -> str:
    tasks: list[dict[str, Any]] = list(result.get("tasks", []))
    total = int(result.get("total", len(tasks)))
    kind = {"all": "", "pending": "pending ", "completed": "completed "}[flt.status]
    about = _about(flt)
    if not tasks:
        if flt.status == "completed" and not about:
            return "You haven't completed any tasks yet."
        return f"You have no {kind}tasks{about}." if kind or about else "Your list is empty. Want to add something?"
    noun = "task" if total == 1 else "tasks"
    lines = "\n".join(line(t, marks=flt.status == "all") for t in tasks)
    more = f"\n(and {total - len(tasks)} more)" if total > len(tasks) else ""
    return f"You have {total} {kind}{noun}{about}:\n{lines}{more}"


def _about(flt: Filter) -> str:
    words = []
    if flt.due:
        words.append({"overdue": "overdue", "today": "due today", "tomorrow": "due tomorrow",
                      "this_week": "due this week", "next_week": "due next week", "upcoming": "coming up",
                      "no_date": "without a date"}[flt.due])  # fmt: skip
    if flt.priority:
        words.append(" or ".join(flt.priority) + " priority")
    if flt.tags:
        words.append("tagged " + " and ".join(f"#{t}" for t in flt.tags))
    if flt.query:
        words.append(f"matching '{flt.query}'")
    return (" " + ", ".join(words)) if words else ""


def summary(result: dict[str, Any]) -> str:
    tasks: list[dict[str, Any]] = list(result.get("tasks", []))
    done = sum(1 for t in tasks if t.get("completed"))
    total = int(result.get("total", len(tasks)))
    if total == 0:
        return "Your list is empty. Want to add something?"
    noun = "task" if total == 1 else "tasks"
    return f"You have {total} {noun}: {total - done} pending and {done} completed."


def changed(intent: Intent, result: dict[str, Any], before: Mention | None) -> str:
    """The reply to one change, with the verb for what was actually done."""
    name = task(result)
    status = result.get("status")
    extra = details(result)
    if status == "created":
        return f"Added {name}" + (f" ({extra})." if extra else ".")
    if status == "deleted":
        return f"Deleted {name}."
    if status == "completed" or (intent.kind == "complete" and result.get("completed")):
        nxt = result.get("next_due_at")
        return f"Marked {name} as done." + (f" The next one is due {when(str(nxt))}." if nxt else "")
    if intent.kind == "reopen":
        return f"Reopened {name}; it's pending again."
    if intent.kind == "rename":
        was = before.title if before is not None else ""
        old = f" (was '{was}')" if was and was != result.get("title") else ""
        return f"Renamed task #{result.get('task_id')} to '{result.get('title')}'{old}."
    if intent.kind == "describe":
        return f"Updated the description of {name}."
    said = []
    slots = intent.slots
    if slots.due:
        said.append(f"rescheduled it to {when(result.get('due_at')) or slots.due}" if result.get("due_at") or slots.due
                    else "")  # fmt: skip
    if slots.recurrence:
        said.append(f"set it to repeat {result.get('recurrence_text') or slots.recurrence_words}")
    if slots.priority:
        said.append(f"set it to {slots.priority} priority")
    if slots.tags:
        said.append("tagged it " + " ".join(f"#{t}" for t in slots.tags))
    if slots.remind:
        said.append(f"I'll remind you {slots.remind}" + (f" ({when(result['remind_at'])})" if result.get("remind_at")
                                                          else ""))  # fmt: skip
    return f"Updated {name}: " + "; ".join(s for s in said if s) + "." if said else f"Updated {name}."


def which(intent: Intent, candidates: tuple[Mention, ...], name: str | None) -> str:
    verb = {"complete": "mark as done", "reopen": "reopen", "delete": "delete", "rename": "rename",
            "describe": "change", "update": "change"}.get(intent.kind, "use")  # fmt: skip
    options = ", ".join(f"#{t.task_id} '{t.title}'" for t in candidates[:10])
    about = f" matching '{name}'" if name else ""
    return f"I found {len(candidates)} tasks{about}: {options}. Which one should I {verb}? Say its number or name."


def preview(action: str, result: dict[str, Any]) -> str:
    tasks = list(result.get("tasks", []))
    count = int(result.get("count", len(tasks)))
    names = ", ".join(f"#{t['task_id']} '{t['title']}'" for t in tasks[:10])
    noun = "this task" if count == 1 else f"these {count} tasks"
    return f"{_VERBS.get(action, action)} {noun}? {names}. {CONFIRM_TAIL}"


def bulk_done(action: str, result: dict[str, Any]) -> str:
    tasks = list(result.get("tasks", []))
    count = int(result.get("count", len(tasks)))
    if count == 0:
        return "No tasks matched, so nothing changed."
    names = ", ".join(f"#{t['task_id']} '{t['title']}'" for t in tasks[:10])
    noun = "task" if count == 1 else "tasks"
    return f"{_DONE_VERBS.get(action, action)} {count} {noun}: {names}."


_LIMITS = {"title": "Titles", "description": "Descriptions", "tags": "Tags"}


def error(result: dict[str, Any], args: dict[str, Any]) -> str:
    """A tool's refusal in plain words, never the validator's text."""
    message = str(result.get("error", "")).strip()
    missing = re.search(r"Task (\d+) not found", message)
    if missing:
        return f"I couldn't find task {missing.group(1)} in your list. Say 'show my tasks' to see their numbers."
    if re.search(r"nothing to undo", message, re.I):
        return "There's nothing to undo: your recent changes are already as they were."
    too_long = re.search(r"(\w+)[^:]*: String should have at most (\d+) characters", message)
    if too_long and too_long.group(1) in _LIMITS:
        field = too_long.group(1)
        given = len(str(args.get(field, "")).strip())
        return f"{_LIMITS[field]} can be up to {too_long.group(2)} characters; yours has {given}."
    plain = re.search(r"(Titles|Descriptions) can be up to (\d+) characters", message)
    if plain:
        given = len(str(args.get(plain.group(1).lower().rstrip("s"), "")).strip())
        return f"{plain.group(1)} can be up to {plain.group(2)} characters; yours has {given}."
    if re.search(r"String should have at least 1 character", message):
        return "A task needs a title; what should it be called?"
    if re.search(r"token", message, re.I) and re.search(r"expired|invalid|refused|used", message, re.I):
        return "That confirmation has expired or was already used; ask again and I'll show the tasks once more."
    if re.search(r"time zone|timezone", message, re.I):
        return "I couldn't work out the time in your zone; check your time zone in your profile."
    if re.search(r"due|date", message, re.I):
        return "I couldn't understand that date. Try 'tomorrow 5pm', 'next friday' or '2026-12-24'."
    message = re.sub(r"^(?:Invalid arguments: )?(?:[\w.]+: )?(?:Value error, )?", "", message)
    if re.search(r"\b(?:Input should|Field required|validation error|type=)", message) or not message:
        return "Sorry, I couldn't do that with those details. " + HELP
    return message  # the tools already word their refusals for people


def unsupported(feature: str) -> str:
    return f"I can't {feature} yet in this version, so I left your list as it was."


def unknown(said: str) -> str:
    quoted = f" '{said}'" if said else ""
    return f"Sorry, I didn't understand{quoted}. " + HELP


def undone(result: dict[str, Any]) -> str:
    """What undo took back, and where the tasks it touched stand now."""
    what = str(result.get("summary") or "your last change").rstrip(".")
    what = what[:1].lower() + what[1:]
    tasks = list(result.get("tasks", []))
    now = "; ".join(f"{task(t)} is {'completed' if t.get('completed') else 'pending'}" for t in tasks[:5])
    return f"Undone: I took back your last change ({what})." + (f" Now {now}." if now else "")
