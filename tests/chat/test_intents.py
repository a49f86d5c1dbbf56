"""The offline model's reading of everyday phrasings (pure rules, so a table of sentences pins them down)."""

from __future__ import annotations

import pytest

from app.agent.intents import ASK_TITLE, Ref, parse

CASES = [
    ("Add a task to buy groceries", "add", {"title": "Buy groceries"}),
    ("I need to remember to pay bills", "add", {"title": "Pay bills"}),
    ("remind me to call the dentist", "add", {"title": "Call the dentist"}),
    ("please add buy milk to my list", "add", {"title": "Buy milk"}),
    ("Add task Buy eggs with description free range", "add", {"title": "Buy eggs", "description": "free range"}),
    ("Show me all my tasks", "list", {"status": "all"}),
    ("What's pending?", "list", {"status": "pending"}),
    ("what is left to do?", "list", {"status": "pending"}),
    ("What have I completed?", "list", {"status": "completed"}),
    ("show tasks about milk", "list", {"query": "milk"}),
    ("Mark task 3 as complete", "complete", {"ref": Ref(task_id=3)}),
    ("task 4 is done", "complete", {"ref": Ref(task_id=4)}),
    ("mark the passport one done", "complete", {"ref": Ref(name="passport")}),
    ("I finished the report", "complete", {"ref": Ref(name="report")}),
    ("reopen task 3", "reopen", {"ref": Ref(task_id=3)}),
    ("Delete the meeting task", "delete", {"ref": Ref(name="meeting")}),
    ("remove task #7", "delete", {"ref": Ref(task_id=7)}),
    ("Change task 1 to 'Call mom tonight'", "update", {"ref": Ref(task_id=1), "title": "Call mom tonight"}),
    ("rename the meeting task to Standup", "update", {"ref": Ref(name="meeting"), "title": "Standup"}),
    ("set the description of task 2 to bring ID", "update", {"ref": Ref(task_id=2), "description": "bring ID"}),
    ("how many tasks do I have?", "summary", {}),
    ("add a task", "ask_title", {}),
    ("hello", "smalltalk", {}),
    ("thank you!", "smalltalk", {}),
]


@pytest.mark.parametrize(("message", "action", "fields"), CASES, ids=[c[0] for c in CASES])
def test_an_everyday_phrase_reads_as_the_intended_operation(
    message: str, action: str, fields: dict[str, object]
) -> None:
    intent = parse(message)
    assert intent.action == action
    for name, value in fields.items():
        assert getattr(intent, name) == value


def test_a_bare_number_answers_our_which_one_question() -> None:
    question = "I found 2 tasks matching 'meeting': #4 'A', #7 'B'. Which one should I delete? Reply with its number."
    assert parse("7", question).ref == Ref(task_id=7)
    assert parse("7", question).action == "delete"


def test_an_answer_to_what_should_it_be_called_becomes_the_title() -> None:
    intent = parse("buy bread", f"Sure. {ASK_TITLE}")
    assert (intent.action, intent.title) == ("add", "Buy bread")
    assert parse("never mind", ASK_TITLE).action != "add"
