"""Read a message as one or more intents with their slots.

Rules match the normalised form (`Text.norm`); titles and names are cut from the person's own words. The
order is from the most specific reading to the most forgiving one: small talk, undo, confirmations, bulk
changes, questions, edits, completion, deletion, adding, and last a plain statement taken as a task to add.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.agent.understanding import filters
from app.agent.understanding.intents import Filter, Intent, Ref
from app.agent.understanding.normalise import Text, normalise
from app.agent.understanding.slots import WHEN, Slots, extract

_POLITE = re.compile(
    r"^(?:(?:please|can you|could you|would you|will you|kindly|hey|hi|ok|okay|so|now|also|and|then|oh|um|actually|"
    r"i'd like you to|i want you to|go ahead and|just)\s+)+"
)
_COMPLETE = r"(?:complete|completed|done|finished|finish|checked off|ticked off|sorted)"
_OPEN = r"(?:not done|not complete|not completed|incomplete|pending|open|undone|unfinished|to do|todo)"
_TASK_WORDS = r"(?:task|todo|to-do|item|reminder|entry|note)"
_SPLIT = re.compile(
    r" and also |; | and then |\. (?=[a-z])| (?:and|then|also) (?=(?:add|create|mark|complete|delete|remove|"
    r"rename|remind|show|list|make|set|tag|move|reschedule|finish|undo|what)\b)"
)
_PAST = {
    "called": "call", "emailed": "email", "paid": "pay", "bought": "buy", "sent": "send", "booked": "book",
    "wrote": "write", "finished": "finish", "cleaned": "clean", "picked": "pick", "fixed": "fix", "renewed": "renew",
    "got": "get", "made": "make", "took": "take", "did": "do", "submitted": "submit", "returned": "return",
    "visited": "visit", "washed": "wash", "watered": "water", "mailed": "mail", "phoned": "phone", "texted": "text",
    "filed": "file", "ordered": "order", "cancelled": "cancel", "canceled": "cancel", "scheduled": "schedule",
    "sorted": "sort", "handled": "handle", "dropped": "drop", "walked": "walk", "fed": "feed",
}  # fmt: skip
# A question is about the list when it names tasks or something tasks have; "what is the weather?" is not.
_ABOUT_TASKS = (
    r"\b(?:tasks?|todos?|to-dos?|list|items?|pending|done|completed?|finish(?:ed)?|did i|have i|due|overdue|left|"
    r"remaining|priority|"
    r"urgent|important|tagged|about|matching|containing|anything|find|search|look|open|outstanding|upcoming|"
    r"today|tomorrow|week|date)\b|#"
)
HELP_WORDS = r"(?:help|what can you do|what do you do|who are you|what are you|how does this work|commands|options)"


def parse(message: str) -> list[Intent]:
    """The requests in a message, in order ("buy a gift for mom and also renew car insurance" is two)."""
    text = normalise(message)
    pieces = _split(text)
    return [parse_one(piece) for piece in pieces] or [Intent("unknown")]


def _split(text: Text) -> list[Text]:
    pieces: list[Text] = []
    start = 0
    for match in _SPLIT.finditer(text.norm):
        pieces.append(_slice(text, start, match.start()))
        start = match.end()
    pieces.append(_slice(text, start, len(text.norm)))
    return [p for p in pieces if p.norm]


def _slice(text: Text, start: int, end: int) -> Text:
    norm = text.norm[start:end].strip(" ,")
    if not norm:
        return Text(norm="", words=())
    first = text.norm.count(" ", 0, start + (len(text.norm[start:end]) - len(text.norm[start:end].lstrip(" ,"))))
    count = norm.count(" ") + 1
    return Text(norm=norm, words=text.words[first : first + count])


def _body(text: Text) -> Text:
    polite = _POLITE.match(text.norm)
    if polite is None or polite.end() >= len(text.norm):
        return text
    return text.without([polite.span()])


def title_of(text: Text) -> str:
    """A task title from the person's words: filler trimmed, first letter capitalised."""
    title = " ".join(text.words).strip(" ,.;:-")
    title = re.sub(
        r"\s+(?:to|on|in|onto) (?:my|the) (?:todo |to-do |task )?(?:list|tasks|todos)$", "", title, flags=re.I
    )
    title = re.sub(r"^(?:to|that i need to|that i have to|that i must|about)\s+", "", title, flags=re.I)
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "'\"`":
        title = title[1:-1].strip()
    return title[:1].upper() + title[1:]


def parse_ref(text: Text) -> Ref | None:
    """'task 3', '#3', 'it', 'that one', 'the second one', 'the bank one' -> a reference; None when nothing is named."""
    norm = text.norm.strip(" '\"")
    number = re.fullmatch(r"(?:task|item|todo|to-do|number|no\.?)?\s*(?:number|no\.?)?\s*#?\s*(\d{1,9})", norm)
    if number:
        return Ref(task_id=int(number.group(1)))
    if re.fullmatch(r"(?:it|it's|its|that|that's|this|that one|this one|that task|this task|the task|them)", norm):
        return Ref(pronoun=True)
    ordinal = re.fullmatch(r"(?:the )?(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)(?: one| task)?", norm)
    if ordinal:
        places = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
        word = ordinal.group(1)
        return Ref(ordinal=places.get(word) or int(word[0]))
    name = re.sub(r"^(?:the|my|that|this|a|an)\s+", "", norm)
    name = re.sub(rf"^{_TASK_WORDS}\s+(?:called|named|titled|about|for|to)?\s*", "", name)
    name = re.sub(rf"\s+(?:{_TASK_WORDS}s?|one|thing)$", "", name)
    name = re.sub(r"^(?:the|my)\s+", "", name).strip(" '\"")
    if not name or name in {"task", "one", "all", "everything"}:
        return None
    start = text.norm.find(name)
    return Ref(name=text.original(start, start + len(name)) if start >= 0 else name)


def parse_one(text: Text) -> Intent:
    """One request."""
    text = _body(text)
    norm = text.norm
    said = " ".join(text.words)
    for reader in (_small_talk, _undo, _answer, _bulk, _question, _edit, _reopen, _complete, _delete, _add, _statement):
        intent = reader(text)
        if intent is not None:
            return intent if intent.said else _with_said(intent, said)
    return Intent("unknown", said=said, statement=not norm.endswith("?"))


def _with_said(intent: Intent, said: str) -> Intent:
    return replace(intent, said=said)


def _small_talk(text: Text) -> Intent | None:
    norm = text.norm
    if re.fullmatch(rf"(?:{HELP_WORDS}|\?)(?: .{{0,30}})?", norm) or re.match(r"^how do i\b", norm):
        return Intent("help")
    if re.fullmatch(
        r"(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening)|greetings)(?: there)?.{0,20}", norm
    ):
        return Intent("greet")
    if re.fullmatch(r"(?:thanks|thank you|ty|cheers|great|awesome|perfect|nice|cool)(?: .{0,30})?", norm):
        return Intent("thanks")
    if re.fullmatch(r"(?:bye|goodbye|see you|see ya|good night)(?: .*)?", norm):
        return Intent("bye")
    if re.fullmatch(r"how are you.*", norm):
        return Intent("greet", said="how are you")
    return None


def _undo(text: Text) -> Intent | None:
    norm = text.norm
    if re.match(r"^undo (?:task )?#?\d+$", norm):
        return None  # "undo task 3" reopens it
    if re.fullmatch(
        r"(?:oops|whoops|oh no|my bad|wait)?[ ,]*"
        r"(?:undo(?: that| it| this| the last (?:change|thing|one)| my last change)?|"
        r"revert(?: that| it)?|take (?:that|it) back|put (?:it|that|them) back|bring (?:it|that|them) back|"
        r"that was a mistake|restore (?:it|that)|oops|whoops)(?: please)?",
        norm,
    ):
        return Intent("undo")
    return None


def _answer(text: Text) -> Intent | None:
    norm = text.norm
    if re.fullmatch(r"(?:yes|yep|yeah|yup|y|sure|ok|okay|do it|go ahead|confirm|please do|yes please|correct|"
                    r"yes do it|absolutely|go for it)", norm):  # fmt: skip
        return Intent("confirm")
    if re.fullmatch(r"(?:no|nope|nah|n|cancel|never ?mind|don't|do not|stop|forget it|keep them|no thanks|leave it)",
                    norm):  # fmt: skip
        return Intent("deny")
    return None


def _bulk(text: Text) -> Intent | None:
    norm = text.norm
    match = re.match(
        r"^(clear|delete|remove|erase|complete|finish|mark|tick off|reopen|move|reschedule|push|postpone|make|set|tag)"
        r"(?: out)? (?:(?:all|every|each)(?: of)?(?: the| my)? |everything |(?:the |my )?(?=(?:completed|done|finished)"
        r"(?: tasks| ones| items)?$))(.*)$",
        norm,
    )
    if match is None:
        return None
    verb, rest = match.group(1), match.group(2)
    slots, _ = extract(text)
    flt = filters.read(rest, slots=Slots())
    if verb in {"clear", "delete", "remove", "erase"}:
        if verb == "clear" and flt.status == "all" and not (flt.tags or flt.priority or flt.due):
            flt = Filter(status="completed")
        return Intent("bulk", action="delete", filter=flt)
    if verb in {"move", "reschedule", "push", "postpone"} and slots.due:
        return Intent("bulk", action="reschedule", filter=_without_new_due(rest, flt), slots=slots)
    if verb in {"make", "set"} and slots.priority:
        return Intent("bulk", action="set_priority", filter=Filter(flt.status, flt.query, flt.tags, (), flt.due),
                      slots=slots)  # fmt: skip
    if verb == "tag" and slots.tags:
        return Intent("bulk", action="add_tags", filter=flt, slots=slots)
    if verb == "reopen" or re.search(rf"\b(?:as )?{_OPEN}$", rest):
        return Intent("bulk", action="reopen", filter=Filter("completed", flt.query, flt.tags, flt.priority, flt.due))
    if verb in {"complete", "finish", "tick off"} or re.search(rf"\b(?:as )?{_COMPLETE}$", rest):
        status = "pending" if flt.status == "completed" else flt.status
        return Intent("bulk", action="complete", filter=Filter(status, flt.query, flt.tags, flt.priority, flt.due))
    return None


def _without_new_due(rest: str, flt: Filter) -> Filter:
    # "move all overdue tasks to friday": the filter is what comes before "to".
    before = re.split(r"\b(?:to|until|till|for)\b", rest, maxsplit=1)[0]
    return filters.read(before, slots=Slots())


def _question(text: Text) -> Intent | None:
    norm = text.norm
    if re.match(r"^(?:how many|count|number of)\b", norm) or re.search(r"\b(?:summary|summarize|summarise|overview)\b",
                                                                       norm):  # fmt: skip
        return Intent("count", filter=filters.read(norm, slots=Slots()) if "pending" in norm else Filter())
    asking = re.match(
        r"^(?:what|what's|which|show|list|display|view|see|give me|tell me|let me see|do i have|any|anything|"
        r"read|find|search|look for|is there|are there|where)\b",
        norm,
    )
    listing = re.search(r"\b(?:my (?:tasks|list|todos)|todo list|to-do list)$", norm) and len(norm.split()) <= 4
    if asking is None and not listing:
        return None
    if re.match(r"^what (?:is|are) (?:task|#)", norm) or (asking and not re.search(_ABOUT_TASKS, norm)):
        return None
    query = None
    found = re.search(r"\b(?:about|containing|matching|mentioning|called|named|with the word)\s+(.+)$", norm)
    search = re.match(r"^(?:find|search(?: for)?|look for)\s+(?!(?:my |all )?tasks?$)(.+)$", norm)
    if found or search:
        match = found or search
        assert match is not None
        query = text.original(match.start(1)).strip("'\"")
        norm = norm[: match.start()]
    return Intent("list", filter=filters.read(norm, slots=Slots(), query=query))


def _edit(text: Text) -> Intent | None:
    norm = text.norm
    match = re.match(
        r"^(?:change|rename|update|edit|modify|retitle|set)\s+(?:the\s+)?(title|name|description|details|notes)?"
        r"\s*(?:of\s+)?(.+?)\s*(?:'s\s+(title|name|description|details|notes)\s+)?\s*(?:to|into|as|:)\s+(.+)$",
        norm,
    )
    if match is not None:
        field = match.group(1) or match.group(3)
        target = match.group(2)
        inner = re.match(r"^(.+?)\s+(title|name|description|details|notes)$", target)
        if inner and field is None:
            target, field = inner.group(1), inner.group(2)
        ref = parse_ref(_sub(text, match.start(2), match.start(2) + len(target)))
        value_text = _sub(text, match.start(4), len(norm))
        value = value_text.norm
        if ref is not None and re.fullmatch(_COMPLETE, value):
            return Intent("complete", ref=ref)
        if ref is not None and re.fullmatch(_OPEN, value):
            return Intent("reopen", ref=ref)
        slots, rest = extract(value_text)
        if ref is not None and slots.any() and not rest.norm:
            return Intent("update", ref=ref, slots=slots)
        if ref is not None and field in {"description", "details", "notes"}:
            return Intent("describe", ref=ref, description=" ".join(value_text.words).strip("'\""))
        if ref is not None:
            return Intent("rename", ref=ref, title=title_of(value_text))
    return _attributes(text)


def _attributes(text: Text) -> Intent | None:
    """'make the oat milk one high priority', 'move it to friday', 'tag it errands', 'remind me 30 minutes before'."""
    norm = text.norm
    match = re.match(
        r"^(?:make|set|mark|move|reschedule|push|postpone|put|change|flag|tag|label|schedule|give|due date for)"
        r"\s+(.+)$",
        norm,
    )
    slots, rest = extract(text)
    if match is None:
        remind = re.fullmatch(r"(?:and )?(?:remind me|ping me|nudge me)(?: about (?P<ref>.+?))?", rest.norm)
        remind = remind or re.fullmatch(r"(?:about|for) (?P<ref>.+)|", rest.norm)
        if slots.remind and remind:
            named = remind.group("ref")
            return Intent("update", ref=parse_ref(normalise(named)) if named else Ref(pronoun=True), slots=slots)
        return None
    if not slots.any():
        return None
    target = re.sub(r"^(?:make|set|mark|move|reschedule|push|postpone|put|change|flag|tag|label|schedule|give)\s+", "",
                    rest.norm)  # fmt: skip
    target = re.sub(r"\s+(?:to|as|for|with|it|is|a|priority|due)$", "", target).strip()
    target = re.sub(r"\s+(?:to|as|for|with|it|is|a|priority|due)$", "", target).strip()
    ref = parse_ref(normalise(target)) if target else Ref(pronoun=True)
    if ref is None:
        return None
    return Intent("update", ref=ref, slots=slots)


def _sub(text: Text, start: int, end: int) -> Text:
    return _slice(text, start, end)


def _target(text: Text, start: int, end: int | None = None) -> Ref | None:
    return parse_ref(_slice(text, start, len(text.norm) if end is None else end))


def _complete(text: Text) -> Intent | None:
    norm = text.norm
    patterns = (
        rf"^(?:mark|set|flag|tick|check)\s+(.+?)\s+(?:as\s+|to\s+)?{_COMPLETE}$",
        r"^(?:mark|tick|check|cross)\s+off\s+(.+)$",
        r"^(?:tick|check|cross)\s+(.+?)\s+off$",
        r"^(?:complete|finish|close)\s+(.+)$",
        r"^i(?:'ve| have)?\s+(?:just\s+|already\s+|now\s+)?(?:finished|completed|done|did)\s+(?:with\s+)?(.+)$",
        r"^(?:done with|finished with)\s+(.+)$",
        rf"^(.+?)\s+(?:is|are|'s)\s+(?:now\s+|all\s+)?{_COMPLETE}$",
        rf"^(.+?)\s+{_COMPLETE}$",
    )
    for pattern in patterns:
        match = re.match(pattern, norm)
        if match:
            if WHEN.search(match.group(1)):
                return None  # "finish the slides by monday" is a task to do, not one done
            ref = _target(text, match.start(1), match.end(1))
            return Intent("complete", ref=ref) if ref else None
    if re.fullmatch(rf"(?:it's|it is|that's|that is)?\s*{_COMPLETE}", norm):
        return Intent("complete", ref=Ref(pronoun=True))
    return None


def _reopen(text: Text) -> Intent | None:
    norm = text.norm
    for pattern in (
        rf"^(?:mark|set|flag)\s+(.+?)\s+(?:as\s+|to\s+)?{_OPEN}(?: again)?$",
        r"^(?:reopen|re-open|uncomplete|undo|unmark|uncheck)\s+(.+?)(?: again)?$",
    ):
        match = re.match(pattern, norm)
        if match:
            ref = _target(text, match.start(1), match.end(1))
            return Intent("reopen", ref=ref) if ref else None
    return None


def _delete(text: Text) -> Intent | None:
    match = re.match(
        r"^(?:delete|remove|erase|drop|cancel|trash|scrap|get rid of|forget about|bin|ditch|kill)\s+(.+?)"
        r"(?:\s+from (?:my|the) (?:todo |to-do )?(?:list|tasks))?$",
        text.norm,
    )
    if match is None:
        return None
    ref = _target(text, match.start(1), match.end(1))
    return Intent("delete", ref=ref) if ref else None


_ADD = re.compile(
    r"^(?:add|create|new|put|insert|save|jot down|note down|write down|log)\b\s*(?:me\s+)?"
    rf"(?:(?:a|an|another|one more|new|the)\s+)*(?:{_TASK_WORDS}s?\b)?\s*"
    r"(?:to|for|:|-|called|named|titled|that says|saying|about)?\s*"
    r"|^(?:remind me to|remind me about|i need to remember to|i have to remember to|remember to|"
    r"don't let me forget to|i must remember to|note that i need to|i want to remember to|"
    r"(?:i )?(?:need|have|got|gotta|must|should|ought) to|(?:i )?gotta|i need|i must|i should|i've got to|"
    r"i want to|i'd like to|i'll need to|we need to|todo:|to do:)\s+"
)


def _add(text: Text) -> Intent | None:
    match = _ADD.match(text.norm + " ")
    if match is None:
        return None
    rest = _slice(text, min(match.end(), len(text.norm)), len(text.norm))
    description = None
    split = re.search(r"\s*(?:with (?:the )?description|description:|described as|details:|with notes?)\s+", rest.norm)
    if split:
        description = " ".join(_slice(rest, split.end(), len(rest.norm)).words).strip("'\"")
        rest = _slice(rest, 0, split.start())
    slots, rest = extract(rest)
    title = title_of(rest)
    if not title:
        return Intent("ask_title", slots=slots)
    return Intent("add", title=title, description=description, slots=slots)


def _statement(text: Text) -> Intent | None:
    """'I called the dentist' (done), 'milk' or 'email Priya about the budget report' (a task to add)."""
    norm = text.norm
    past = re.match(r"^(?:(?:i|we)(?:'ve| have)? )?(?:just |already |finally )?(\w+) (.+)$", norm)
    if past and past.group(1) in _PAST:
        rest = _slice(text, past.start(2), len(norm))
        return Intent("complete", ref=Ref(name=f"{_PAST[past.group(1)]} {' '.join(rest.words)}"), statement=True)
    if norm.endswith("?") or re.match(r"^(?:what|why|how|who|when|where|is|are|do|does|can|could|will|would)\b", norm):
        return None
    if re.match(r"^(?:i|i'm|it|it's|this|that|you|we|they|he|she)\b", norm) or len(text.words) > 14:
        return None
    slots, rest = extract(text)
    title = title_of(rest)
    return Intent("add", title=title, slots=slots, statement=True) if title else None
