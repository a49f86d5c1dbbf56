"""Dates in the user's zone and repeat rules: pure functions, so DST weeks and far zones are table rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.errors import InvalidInput
from app.services import recurrence
from app.services.dates import parse_reminder, parse_when, remind_time, zone
from app.services.tasks import Days

BERLIN = zone("Europe/Berlin")
KIRITIMATI = zone("Pacific/Kiritimati")  # UTC+14
PAGO_PAGO = zone("Pacific/Pago_Pago")  # UTC-11
# Saturday 2026-03-28, 10:00 UTC: Berlin moves its clocks forward in the night to Sunday.
BEFORE_DST = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "tz", "at", "all_day"),
    [
        pytest.param(
            "tomorrow", BERLIN, datetime(2026, 3, 28, 23, 0, tzinfo=UTC), True, id="tomorrow-is-the-local-day"
        ),
        pytest.param(
            "tomorrow at 5pm", BERLIN, datetime(2026, 3, 29, 15, 0, tzinfo=UTC), False, id="5pm-after-the-dst-change"
        ),
        pytest.param("friday", BERLIN, datetime(2026, 4, 2, 22, 0, tzinfo=UTC), True, id="a-weekday-is-the-next-one"),
        pytest.param("in 2 weeks", BERLIN, datetime(2026, 4, 10, 22, 0, tzinfo=UTC), True, id="in-two-weeks"),
        pytest.param("2026-12-24", BERLIN, datetime(2026, 12, 23, 23, 0, tzinfo=UTC), True, id="an-iso-date"),
        pytest.param(
            "2026-12-24T09:30+05:30", BERLIN, datetime(2026, 12, 24, 4, 0, tzinfo=UTC), False, id="iso-with-offset"
        ),
        pytest.param("tomorrow", KIRITIMATI, datetime(2026, 3, 29, 10, 0, tzinfo=UTC), True, id="far-east-tomorrow"),
        pytest.param("tomorrow", PAGO_PAGO, datetime(2026, 3, 28, 11, 0, tzinfo=UTC), True, id="far-west-tomorrow"),
        pytest.param("in 2 hours", PAGO_PAGO, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), False, id="hours-are-timed"),
    ],
)
def test_everyday_dates_are_resolved_in_the_users_zone(said: str, tz: object, at: datetime, all_day: bool) -> None:
    when = parse_when(said, tz, BEFORE_DST)  # type: ignore[arg-type]
    assert (when.at, when.all_day) == (at, all_day)


def test_words_that_name_no_date_are_refused_with_an_example() -> None:
    with pytest.raises(InvalidInput, match="try 'tomorrow 5pm'"):
        parse_when("banana bread", BERLIN, BEFORE_DST)


def test_today_and_overdue_follow_the_local_day_far_from_utc() -> None:
    # 10:00 UTC is already Sunday in Kiritimati and still Friday night in Pago Pago.
    assert Days.at(BEFORE_DST, KIRITIMATI).today == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert Days.at(BEFORE_DST, PAGO_PAGO).today == datetime(2026, 3, 27, 11, 0, tzinfo=UTC)
    # Berlin's Sunday has 23 hours: tomorrow's start is 23 hours after today's.
    sunday = Days.at(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), BERLIN)
    assert (sunday.tomorrow - sunday.today).total_seconds() == 23 * 3600
    assert sunday.next_week == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "before"),
    [
        ("30 minutes before", "PT30M"),
        ("an hour before", "PT1H"),
        ("2 days before", "P2D"),
        ("the evening before", "evening_before"),
        ("at due time", "PT0M"),
        ("PT15M", "PT15M"),
    ],
)
def test_relative_reminders_become_rules(said: str, before: str) -> None:
    assert parse_reminder(said, BERLIN, BEFORE_DST).before == before


def test_a_reminder_rule_counts_back_from_the_due_time_or_nine_on_an_all_day_date() -> None:
    due = datetime(2026, 3, 29, 15, 0, tzinfo=UTC)  # 17:00 in Berlin, after the change
    assert remind_time(due_at=due, all_day=False, rule="PT30M", tz=BERLIN) == datetime(2026, 3, 29, 14, 30, tzinfo=UTC)
    day = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Sunday, all day
    assert remind_time(due_at=day, all_day=True, rule="PT1H", tz=BERLIN) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    evening = remind_time(due_at=day, all_day=True, rule="evening_before", tz=BERLIN)
    assert evening == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "rule", "text"),
    [
        ("every monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        ("each weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("daily", "FREQ=DAILY", "every day"),
        ("every other week", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("every tue and thu", "FREQ=WEEKLY;BYDAY=TU,TH", "every Tuesday and Thursday"),
        ("rrule:freq=monthly;bymonthday=15", "FREQ=MONTHLY;BYMONTHDAY=15", "every month on the 15th"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", "every Monday, 3 times"),
    ],
)
def test_repeat_rules_from_words_or_rrules_read_back_as_people_say_them(said: str, rule: str, text: str) -> None:
    assert recurrence.parse(said) == rule
    assert recurrence.describe(rule) == text


@pytest.mark.parametrize("bad", ["FREQ=SECONDLY", "FREQ=WEEKLY;BYDAY=XX", "sometimes", "FREQ="])
def test_rules_that_are_not_usable_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        recurrence.parse(bad)


def test_a_daily_task_stays_at_its_local_hour_across_the_dst_change() -> None:
    eight_cet = datetime(2026, 3, 28, 7, 0, tzinfo=UTC)
    assert recurrence.next_after("FREQ=DAILY", eight_cet, BERLIN) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_the_next_occurrence_of_an_overdue_task_is_after_now() -> None:
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    following = recurrence.next_after("FREQ=WEEKLY;BYDAY=MO", monday, BERLIN, not_before=BEFORE_DST)
    assert following == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 CEST
