"""The offline model's parts on their own: pure functions over text, so a few sentences pin each down."""

from __future__ import annotations

import time

import pytest

from app.agent.offline import respond
from app.agent.types import ModelRequest, ToolSpec, model_text, user_text
from app.agent.understanding.context import Mention, mentions_in
from app.agent.understanding.normalise import normalise
from app.agent.understanding.parse import parse
from app.agent.understanding.references import by_name
from app.agent.understanding.slots import extract


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("pls ad a taks to by batteries", "please add a task to buy batteries"),
        ("compelte task 3", "complete task 3"),
        ("delte the bank one", "delete the bank one"),
        ("whats pendng", "what's pending"),
        ("talk to mom", "talk to mom"),
    ],
)
def test_command_words_are_read_through_typos_and_other_words_are_left_alone(typed: str, read: str) -> None:
    assert normalise(typed).norm == read


def test_date_words_leave_the_title_and_go_to_the_due_slot() -> None:
    slots, rest = extract(normalise("I have to pick up the dry cleaning tomorrow at 5pm"))
    assert slots.due == "tomorrow at 5pm"
    assert " ".join(rest.words) == "I have to pick up the dry cleaning"


def test_repetition_reminder_priority_and_tags_are_slots() -> None:
    slots, rest = extract(normalise("standup each weekday at 8 #work high priority and remind me 10 minutes before"))
    assert slots.recurrence == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert (slots.due, slots.priority, slots.tags, slots.remind) == ("08:00", "high", ("work",), "10 minutes before")
    assert rest.words == ("standup",)


def test_a_title_that_only_looks_like_a_priority_keeps_its_words() -> None:
    slots, rest = extract(normalise("high school reunion"))
    assert slots.priority is None
    assert rest.words == ("high", "school", "reunion")


def test_two_requests_in_one_message_are_two_intents() -> None:
    intents = parse("buy a birthday gift for mom and also renew car insurance")
    assert [(i.kind, i.title) for i in intents] == [
        ("add", "Buy a birthday gift for mom"),
        ("add", "Renew car insurance"),
    ]


def test_our_replies_name_the_tasks_a_later_reference_means() -> None:
    listed = "You have 2 tasks:\n- #4 Call the bank (pending, due Thu 3 Dec)\n- #7 Buy oat milk (completed)"
    assert mentions_in(listed) == (Mention(4, "Call the bank"), Mention(7, "Buy oat milk"))
    assert mentions_in("Renamed task #3 to 'Mom's gift'.") == (Mention(3, "Mom's gift"),)


def test_a_misspelt_name_finds_its_task_and_a_shared_word_asks_which() -> None:
    tasks = (Mention(1, "Call the bank"), Mention(2, "Book flights to Lisbon"), Mention(3, "Call the bank manager"))
    assert by_name("lisbn", tasks).task == tasks[1]
    assert by_name("bank", tasks).candidates == (tasks[0], tasks[2])


def test_one_round_costs_well_under_ten_milliseconds_of_cpu() -> None:
    tools = [ToolSpec("add_task", "", {"properties": {"title": {}, "due": {}}})]
    history = [user_text("show my tasks"), model_text("You have 1 task:\n- #1 Call the bank")]
    request = ModelRequest(system="", contents=[*history, user_text("pls ad dentist tomorrow at 3pm")], tools=tools)
    respond(request)
    started = time.process_time()
    for _ in range(50):
        respond(request)
    assert (time.process_time() - started) / 50 < 0.010
