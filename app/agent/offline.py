"""The offline model: deterministic, no network, same function-calling contract as Gemini.

Each answer is a pure function of the conversation so far: the latest person's message decides the goal,
and the function responses since then decide the next step (call a tool, ask, or reply).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from app.agent.intents import Intent, parse
from app.agent.types import Content, FunctionCall, FunctionResponse, ModelChunk, ModelRequest
from telemetry.conventions import PROVIDER_OFFLINE

OFFLINE_MODEL = "todochat-offline-1"
_ACTIONS = {"complete": "complete_task", "reopen": "update_task", "delete": "delete_task", "update": "update_task"}
_ASK_VERBS = {"complete": "mark as done", "reopen": "reopen", "delete": "delete"}
_STOPWORDS = {"the", "a", "an", "my", "to", "for", "of", "and", "on", "in", "with", "task", "one"}


def _split_turn(contents: list[Content]) -> tuple[str, str | None, list[FunctionResponse]]:
    """The person's latest message, our reply before it, and the function responses that followed it."""
    responses: list[FunctionResponse] = []
    for index in range(len(contents) - 1, -1, -1):
        content = contents[index]
        if content.role == "user" and content.text:
            previous = next((c.text for c in reversed(contents[:index]) if c.role == "model" and c.text), None)
            return content.text, previous, responses
        if content.role == "user":
            responses[:0] = content.responses
    return "", None, responses


# The OpenTelemetry GenAI conventions' finish reasons: a round that hands over to tools did not simply stop.
FINISH_TOOL_CALL = "tool_call"
FINISH_STOP = "stop"


def _call(name: str, args: dict[str, Any], step: int) -> ModelChunk:
    call = FunctionCall(name=name, args=args, id=f"call_{step}_{name}")
    return ModelChunk(calls=[call], finish_reason=FINISH_TOOL_CALL)


def _say(text: str) -> ModelChunk:
    return ModelChunk(text=text, finish_reason=FINISH_STOP)


def _error_text(response: dict[str, Any]) -> str | None:
    error = response.get("error")
    if error is None:
        return None
    message = str(error).strip()
    missing = re.search(r"Task (\d+) not found", message)
    if missing:
        return f"I couldn't find task {missing.group(1)} in your list. Say 'show my tasks' to see their numbers."
    return f"Sorry, that didn't work: {message}"


def _line(task: dict[str, Any], *, marks: bool) -> str:
    state = (" (completed)" if task.get("completed") else " (pending)") if marks else ""
    return f"- #{task['task_id']} {task['title']}{state}"


def _list_reply(intent: Intent, result: dict[str, Any]) -> str:
    tasks: list[dict[str, Any]] = list(result.get("tasks", []))
    total = int(result.get("total", len(tasks)))
    kind = {"all": "", "pending": "pending ", "completed": "completed "}[intent.status]
    about = f" matching '{intent.query}'" if intent.query else ""
    if not tasks:
        if intent.status == "completed" and not about:
            return "You haven't completed any tasks yet."
        return f"You have no {kind}tasks{about}." if kind or about else "Your list is empty. Want to add something?"
    noun = "task" if total == 1 else "tasks"
    lines = "\n".join(_line(t, marks=intent.status == "all") for t in tasks)
    more = f"\n(and {total - len(tasks)} more)" if total > len(tasks) else ""
    return f"You have {total} {kind}{noun}{about}:\n{lines}{more}"


def _summary_reply(result: dict[str, Any]) -> str:
    tasks: list[dict[str, Any]] = list(result.get("tasks", []))
    done = sum(1 for t in tasks if t.get("completed"))
    total = int(result.get("total", len(tasks)))
    if total == 0:
        return "Your list is empty. Want to add something?"
    noun = "task" if total == 1 else "tasks"
    return f"You have {total} {noun}: {total - done} pending and {done} completed."


def _done_reply(result: dict[str, Any]) -> str:
    task = f"task #{result.get('task_id')} '{result.get('title')}'"
    status = result.get("status")
    if status == "created":
        return f"Added {task} to your list."
    if status == "deleted":
        return f"Deleted {task}."
    if status == "completed":
        return f"Marked {task} as complete."
    if result.get("completed") is False:
        return f"Reopened {task}; it's pending again."
    return f"Updated {task}."


def _matches(name: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks whose title is the name, else contains it, else contains all its words, else any of them."""
    name = name.lower()
    exact = [t for t in tasks if str(t.get("title", "")).lower() == name]
    if exact:
        return exact
    contains = [t for t in tasks if name in str(t.get("title", "")).lower()]
    if contains:
        return contains
    words = [w for w in re.findall(r"\w+", name) if w not in _STOPWORDS]
    titles = [(t, set(re.findall(r"\w+", str(t.get("title", "")).lower()))) for t in tasks]
    every = [t for t, title in titles if words and all(w in title for w in words)]
    return every or [t for t, title in titles if any(w in title for w in words if len(w) > 2)]


def _action_args(intent: Intent, task_id: int) -> dict[str, Any]:
    if intent.action == "reopen":
        return {"task_id": task_id, "completed": False}
    if intent.action == "update":
        args: dict[str, Any] = {"task_id": task_id}
        if intent.title is not None:
            args["title"] = intent.title
        if intent.description is not None:
            args["description"] = intent.description
        return args
    return {"task_id": task_id}


def _ask_which(intent: Intent, name: str, found: list[dict[str, Any]]) -> str:
    verb = (
        f"rename to '{intent.title}'" if intent.action == "update" and intent.title else _ASK_VERBS.get(intent.action)
    )
    options = ", ".join(f"#{t['task_id']} '{t['title']}'" for t in found[:10])
    if verb is None:
        return f"I found {len(found)} tasks matching '{name}': {options}. Which one do you mean? Use its number."
    return f"I found {len(found)} tasks matching '{name}': {options}. Which one should I {verb}? Reply with its number."


def answer(request: ModelRequest) -> ModelChunk:
    """The next step for this conversation: a tool call, a question, or the reply."""
    message, previous, responses = _split_turn(request.contents)
    intent = parse(message, previous)
    step = len(responses)
    if intent.reply is not None:
        return _say(intent.reply)
    if not request.tools:
        return _say("I can't reach your task list right now; please try again in a moment.")

    last = responses[-1] if responses else None
    if last is not None and (error := _error_text(last.response)) is not None:
        return _say(error)

    if intent.action == "add":
        if last is None:
            args = {"title": intent.title} | ({"description": intent.description} if intent.description else {})
            return _call("add_task", args, step)
        return _say(_done_reply(last.response))
    if intent.action in {"list", "summary"}:
        if last is None:
            args = {"status": intent.status} | ({"query": intent.query} if intent.query else {})
            return _call("list_tasks", args, step)
        return _say(_summary_reply(last.response) if intent.action == "summary" else _list_reply(intent, last.response))

    ref = intent.ref
    assert ref is not None  # every remaining action is parsed with a reference
    if last is not None and last.name != "list_tasks":
        return _say(_done_reply(last.response))
    if ref.task_id is not None:
        return _call(_ACTIONS[intent.action], _action_args(intent, ref.task_id), step)
    name = ref.name or ""
    if last is None:
        return _call("list_tasks", {"status": "all", "query": name}, step)
    found = _matches(name, list(last.response.get("tasks", [])))
    if not found and step == 1:
        # The name as a phrase matched nothing: look through the whole list for its words instead.
        return _call("list_tasks", {"status": "all"}, step)
    if not found:
        return _say(f"I couldn't find a task matching '{name}'. Say 'show my tasks' to see what's on your list.")
    if len(found) > 1:
        return _say(_ask_which(intent, name, found))
    return _call(_ACTIONS[intent.action], _action_args(intent, int(found[0]["task_id"])), step)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _usage(request: ModelRequest, chunk: ModelChunk) -> ModelChunk:
    prompt = request.system + "".join(
        (p.text or "") + str(p.call.args if p.call else "") + str(p.response.response if p.response else "")
        for c in request.contents
        for p in c.parts
    )
    output = chunk.text + "".join(f"{c.name}{c.args}" for c in chunk.calls)
    chunk.input_tokens = _tokens(prompt)
    chunk.output_tokens = _tokens(output)
    chunk.response_model = OFFLINE_MODEL
    return chunk


def respond(request: ModelRequest) -> ModelChunk:
    """The next step with token counts estimated from text length (about four characters a token)."""
    return _usage(request, answer(request))


def words(text: str) -> list[str]:
    """Text cut into word-sized pieces that join back exactly, for streaming."""
    return re.findall(r"\S+\s*|\s+", text)


class OfflineModel:
    """Rule-based model for running without an API key; deterministic, so tests can rely on its answers."""

    provider = PROVIDER_OFFLINE
    model = OFFLINE_MODEL

    async def generate(self, request: ModelRequest) -> ModelChunk:
        """The whole answer at once."""
        return respond(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelChunk]:
        """The answer word by word, then calls, finish reason and usage in a last chunk."""
        whole = respond(request)
        for piece in words(whole.text):
            yield ModelChunk(text=piece)
            await asyncio.sleep(0)
        yield ModelChunk(
            calls=whole.calls,
            finish_reason=whole.finish_reason,
            input_tokens=whole.input_tokens,
            output_tokens=whole.output_tokens,
            response_model=whole.response_model,
        )
