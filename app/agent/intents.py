"""What a chat message asks for, read with plain rules: the offline model's understanding of English.

Pure functions over text, so every phrasing the offline model supports is a table test away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal[
    "add", "list", "complete", "reopen", "delete", "update", "summary", "smalltalk", "ask_title", "unknown"
]
StatusFilter = Literal["all", "pending", "completed"]


@dataclass(frozen=True, slots=True)
class Ref:
    """Which task a message means: a number, or words from its title."""

    task_id: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    action: Action
    title: str | None = None
    description: str | None = None
    status: StatusFilter = "all"
    query: str | None = None
    ref: Ref | None = None
    reply: str | None = None  # small talk: the answer itself


HELP = (
    "I keep your todo list. You can say things like 'Add a task to buy groceries', 'What's pending?', "
    "'Mark task 3 as complete', 'Rename task 1 to Call mom tonight' or 'Delete the meeting task'."
)
ASK_TITLE = "What should the new task be called?"
_WHICH = re.compile(r"Which one should I (delete|mark as done|reopen|rename to '(.*)')\? Reply with its number\.")

_POLITE = r"(?:(?:please|pls|can you|could you|would you|will you|kindly|hey|ok|okay|so|now|also|and)[,\s]+)*"
_COMPLETE_WORDS = r"(?:complete|completed|done|finished|finish|checked off|ticked off)"
_OPEN_WORDS = r"(?:not done|not complete|not completed|incomplete|pending|open|undone|unfinished|to do|todo)"

_SMALL_TALK: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening)|greetings)(?: there)?\b.{0,20}$"
        ),
        "Hello! " + HELP,
    ),
    (
        re.compile(r"^(?:thanks|thank you|thx|ty|cheers|great|awesome|perfect|nice|cool|ok|okay)\b.{0,30}$"),
        "You're welcome! Anything else for your list?",
    ),
    (re.compile(r"^how are you\b.*$"), "I'm doing well, thanks for asking! Anything to add to your list?"),
    (
        re.compile(r"^(?:bye|goodbye|see you|see ya|good night)\b.*$"),
        "Goodbye! Your tasks will be here when you come back.",
    ),
    (
        re.compile(r"^(?:help|\?|what can you do|who are you|what are you|how does this work|what do you do)\b.*$"),
        HELP,
    ),
]


def _clean(text: str) -> str:
    """Lower-case, single spaces, no trailing punctuation: the form the rules match against."""
    text = text.strip().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(" .!?;").strip()


def _unquote(text: str) -> str:
    text = text.strip().rstrip(".!?;").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1].strip()
    return text


def _title(text: str) -> str:
    """A task title from the words the person used: quotes and filler trimmed, first letter capitalised."""
    text = _unquote(text)
    text = re.sub(r"\s+(?:to|on|in|onto) (?:my|the) (?:todo |to-do |task )?(?:list|tasks|todos)$", "", text, flags=re.I)
    text = re.sub(r"^(?:to|that i need to|that i have to|that i must)\s+", "", text, flags=re.I)
    text = _unquote(text)
    return text[:1].upper() + text[1:] if text else ""


def parse_ref(text: str) -> Ref | None:
    """'task 3', '#3', '3', 'the meeting task', 'the passport one' -> a reference; None when nothing is named."""
    text = _unquote(_clean(text)).lower()
    number = re.fullmatch(r"(?:task|item|todo|to-do|number|no\.?)?\s*(?:number|no\.?)?\s*#?\s*(\d{1,9})", text)
    if number:
        return Ref(task_id=int(number.group(1)))
    name = re.sub(r"^(?:the|my|that|this|a|an)\s+", "", text)
    name = re.sub(r"^(?:task|item|todo|to-do)\s+(?:called|named|titled|about|for|to)?\s*", "", name)
    name = re.sub(r"\s+(?:task|tasks|one|item|todo|to-do)$", "", name)
    name = re.sub(r"^(?:the|my)\s+", "", name)
    name = _unquote(name).strip()
    if not name or name in {"it", "task", "one", "them", "all", "everything"}:
        return None
    return Ref(name=name)


def _status_in(text: str) -> StatusFilter:
    if re.search(
        r"\b(?:pending|open|remaining|left|outstanding|incomplete|unfinished|not done|to do|todo|still)\b", text
    ):
        return "pending"
    if re.search(r"\b(?:completed|complete|done|finished|did i|have i)\b", text):
        return "completed"
    return "all"


def _followup(text: str, previous_reply: str | None) -> str | None:
    """The person's answer to our own question, rewritten as the full request it completes."""
    if not previous_reply:
        return None
    which = _WHICH.search(previous_reply)
    number = re.fullmatch(r"(?:the\s+)?(?:task\s+|number\s+)?#?(\d{1,9})(?:\s+please)?", _clean(text).lower())
    if which and number:
        task = number.group(1)
        verb = which.group(1)
        if verb == "delete":
            return f"delete task {task}"
        if verb == "mark as done":
            return f"mark task {task} as done"
        if verb == "reopen":
            return f"reopen task {task}"
        return f"rename task {task} to '{which.group(2)}'"
    if previous_reply.endswith(ASK_TITLE):
        cleaned = _clean(text).lower()
        if re.fullmatch(r"(?:never ?mind|cancel|forget it|nothing|no)", cleaned):
            return None
        if not re.match(r"(?:add|create|show|list|delete|remove|mark|complete|rename|change|update|what)\b", cleaned):
            return f"add a task to {text.strip()}"
    return None


def parse(message: str, previous_reply: str | None = None) -> Intent:
    """The intent of one chat message; `previous_reply` lets a short answer complete our last question."""
    rewritten = _followup(message, previous_reply)
    original = _clean(rewritten or message)
    text = original.lower()
    body = re.sub(rf"^{_POLITE}", "", text)
    body_original = original[len(text) - len(body) :]

    for pattern, reply in _SMALL_TALK:
        if pattern.match(body):
            return Intent("smalltalk", reply=reply)

    if re.match(r"^(?:how many|count)\b", body) or re.search(r"\b(?:summary|summarize|summarise|overview)\b", body):
        return Intent("summary")

    question = re.match(
        r"^(?:what|what's|whats|which|show|list|display|view|see|give me|tell me|let me see|do i have|any|"
        r"get|read|check)\b",
        body,
    )
    if question:
        return _list_intent(body, body_original)

    for parser in (_rename, _complete, _reopen, _delete, _add):
        intent = parser(body, body_original)
        if intent is not None:
            return intent

    if re.search(r"\b(?:tasks|todos|to-dos|my list|todo list|to-do list)\b", body):
        return _list_intent(body, body_original)
    return Intent("unknown", reply="Sorry, I didn't catch that. " + HELP)


def _list_intent(body: str, original: str) -> Intent:
    query = None
    match = re.search(r"\b(?:about|containing|matching|mentioning|with|called|named|for)\s+(.+)$", body)
    if match and not re.fullmatch(r"(?:me|my tasks|all|everything)", match.group(1)):
        query = _unquote(original[match.start(1) :])
    status = "all" if re.search(r"\b(?:all|every|everything)\b", body) and "pending" not in body else _status_in(body)
    if re.search(r"\bwhat have i (?:completed|done|finished)\b|\bdid i (?:complete|finish|do)\b", body):
        status = "completed"
    return Intent("list", status=status, query=query)


def _rename(body: str, original: str) -> Intent | None:
    match = re.match(
        r"^(?:change|rename|update|edit|modify|retitle|set)\s+(?:the\s+)?(title|name|description|details|notes)?\s*"
        r"(?:of\s+)?(.+?)\s*(?:'s\s+(title|name|description|details|notes)\s+)?\s*(?:to|into|as|:)\s+(.+)$",
        body,
    )
    if not match:
        return None
    field = match.group(1) or match.group(3)
    target = match.group(2)
    inner = re.match(r"^(.+?)\s+(title|name|description|details|notes)$", target)
    if inner and field is None:
        target, field = inner.group(1), inner.group(2)
    value = _unquote(original[match.start(4) :])
    ref = parse_ref(target)
    if ref is None:
        return None
    if re.fullmatch(_COMPLETE_WORDS, value.lower()):
        return Intent("complete", ref=ref)
    if re.fullmatch(_OPEN_WORDS, value.lower()):
        return Intent("reopen", ref=ref)
    if field in {"description", "details", "notes"}:
        return Intent("update", ref=ref, description=value)
    return Intent("update", ref=ref, title=_title(value))


def _complete(body: str, _original: str) -> Intent | None:
    patterns = (
        rf"^(?:mark|set|flag|tick|check)\s+(.+?)\s+(?:as\s+|to\s+)?{_COMPLETE_WORDS}$",
        r"^(?:mark|tick|check)\s+off\s+(.+)$",
        r"^(?:tick|check)\s+(.+?)\s+off$",
        r"^(?:complete|finish|close)\s+(.+)$",
        r"^i(?:'ve| have)?\s+(?:just\s+|already\s+)?(?:finished|completed|done|did)\s+(?:with\s+)?(.+)$",
        r"^(?:done with|finished with)\s+(.+)$",
        rf"^(.+?)\s+(?:is|are)\s+(?:now\s+)?{_COMPLETE_WORDS}$",
    )
    for pattern in patterns:
        match = re.match(pattern, body)
        if match:
            ref = parse_ref(match.group(1))
            return Intent("complete", ref=ref) if ref else None
    return None


def _reopen(body: str, _original: str) -> Intent | None:
    patterns = (
        rf"^(?:mark|set|flag)\s+(.+?)\s+(?:as\s+|to\s+)?{_OPEN_WORDS}$",
        r"^(?:reopen|re-open|uncomplete|undo|unmark|uncheck)\s+(.+)$",
    )
    for pattern in patterns:
        match = re.match(pattern, body)
        if match:
            ref = parse_ref(match.group(1))
            return Intent("reopen", ref=ref) if ref else None
    return None


def _delete(body: str, _original: str) -> Intent | None:
    match = re.match(r"^(?:delete|remove|erase|drop|cancel|trash|scrap|get rid of|forget about|forget)\s+(.+)$", body)
    if not match:
        return None
    target = re.sub(r"\s+from (?:my|the) (?:todo |to-do )?(?:list|tasks)$", "", match.group(1))
    ref = parse_ref(target)
    return Intent("delete", ref=ref) if ref else None


_ADD_PATTERNS = (
    r"^(?:add|create|make|new|put|insert|save|jot down|note down|write down)\b\s*(?:me\s+)?"
    r"(?:(?:a|an|another|one more|new|the)\s+)*(?:task|todo|to-do|item|reminder|entry|note)?s?\b\s*"
    r"(?:to|for|:|-|called|named|titled|that says|saying)?\s*(.*)$",
    r"^(?:remind me to|remind me about|i need to remember to|i have to remember to|remember to|"
    r"don't let me forget to|dont let me forget to|i must remember to|note that i need to|"
    r"i need to|i have to|i must|i should|i gotta|i've got to|i got to|i want to remember to)\s+(.+)$",
)


def _add(body: str, original: str) -> Intent | None:
    for pattern in _ADD_PATTERNS:
        match = re.match(pattern, body)
        if not match:
            continue
        rest = original[match.start(1) :] if match.group(1) else ""
        description = None
        split = re.search(
            r"\s+(?:with (?:the )?description|description:|described as|details:|with notes?)\s+", rest, re.I
        )
        if split:
            rest, description = rest[: split.start()], _unquote(rest[split.end() :])
        title = _title(rest)
        if not title:
            return Intent("ask_title", reply=ASK_TITLE)
        return Intent("add", title=title, description=description)
    return None
