"""Planning through the REST API on both databases: zones, fields, recurrence, search, bulk, undo, idempotency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import Task, TaskOccurrence
from tests.conftest import signup

TASKS = "/api/v1/tasks"


async def make(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = await client.post(TASKS, json=fields, headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    r = await client.get(TASKS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [t["title"] for t in r.json()["items"]]


async def in_zone(client: httpx.AsyncClient, zone: str) -> dict[str, str]:
    headers = await signup(client)
    r = await client.patch("/api/v1/auth/me", json={"timezone": zone}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


async def test_the_time_zone_is_set_at_sign_up_shown_changed_and_an_unknown_one_refused(
    client: httpx.AsyncClient,
) -> None:
    email = f"tz-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "correct horse battery", "timezone": "Asia/Tokyo"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["timezone"] == "Asia/Tokyo"
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": "correct horse battery"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["timezone"] == "Asia/Tokyo"
    r = await client.patch("/api/v1/auth/me", json={"timezone": "Mars/Olympus_Mons"}, headers=headers)
    assert r.status_code == 422
    assert "'Mars/Olympus_Mons' is not a time zone I know" in r.json()["error"]["message"]
    r = await client.patch("/api/v1/auth/me", json={"timezone": "America/New_York"}, headers=headers)
    assert r.json()["timezone"] == "America/New_York"


async def test_a_date_alone_is_an_all_day_task_shown_in_the_users_offset(client: httpx.AsyncClient) -> None:
    headers = await in_zone(client, "Asia/Tokyo")
    task = await make(client, headers, title="Buy a tree", due_at="2030-12-24")
    assert task["all_day"] is True
    assert task["due_at"] == "2030-12-24T00:00:00+09:00"
    assert task["due_state"] == "upcoming"
    timed = await make(client, headers, title="Call", due_at="2030-12-24T17:00:00+01:00")
    assert (timed["all_day"], timed["due_at"]) == (False, "2030-12-25T01:00:00+09:00")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
async def test_today_and_overdue_are_the_users_local_day_far_from_utc(client: httpx.AsyncClient, zone: str) -> None:
    from zoneinfo import ZoneInfo

    headers = await in_zone(client, zone)
    local_today = datetime.now(ZoneInfo(zone)).date()
    await make(client, headers, title="Today", due_at=local_today.isoformat())
    await make(client, headers, title="Yesterday", due_at=(local_today - timedelta(days=1)).isoformat())
    await make(client, headers, title="Tomorrow", due_at=(local_today + timedelta(days=1)).isoformat())
    await make(client, headers, title="Someday")
    assert await listed(client, headers, due="today") == ["Today"]
    assert await listed(client, headers, due="overdue") == ["Yesterday"]
    assert await listed(client, headers, due="tomorrow") == ["Tomorrow"]
    assert await listed(client, headers, due="no_date") == ["Someday"]
    states = {t["title"]: t["due_state"] for t in (await client.get(TASKS, headers=headers)).json()["items"]}
    assert states == {"Today": "today", "Yesterday": "overdue", "Tomorrow": "upcoming", "Someday": None}


async def test_priorities_and_tags_are_named_normalised_filtered_and_sorted(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    await make(client, headers, title="Low", priority="low", tags=["#Home"])
    await make(client, headers, title="Urgent", priority="urgent", tags=["Work", "home"])
    await make(client, headers, title="None")
    await make(client, headers, title="High", priority="high", tags=["work"])
    assert await listed(client, headers, sort="priority") == ["Urgent", "High", "Low", "None"]
    assert await listed(client, headers, tag="work") == ["Urgent", "High"]
    assert await listed(client, headers, tag=["work", "home"]) == ["Urgent"]
    assert await listed(client, headers, priority=["low", "high"]) == ["Low", "High"]
    r = await client.get(f"{TASKS}/tags", headers=headers)
    assert r.json() == {"tags": [{"name": "home", "count": 2}, {"name": "work", "count": 2}]}
    r = await client.post(TASKS, json={"title": "x", "tags": [f"t{i}" for i in range(11)]}, headers=headers)
    assert r.status_code == 422
    assert "up to 10 tags" in r.json()["error"]["message"]
    r = await client.post(TASKS, json={"title": "x", "priority": "whenever"}, headers=headers)
    assert r.status_code == 422


async def test_sorting_by_due_puts_the_soonest_first_and_undated_last(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    await make(client, headers, title="Later", due_at="2031-01-02")
    await make(client, headers, title="Undated")
    await make(client, headers, title="Sooner", due_at="2031-01-01T09:00:00Z")
    assert await listed(client, headers, sort="due") == ["Sooner", "Later", "Undated"]
    assert await listed(client, headers, sort="due", order="desc") == ["Later", "Sooner", "Undated"]
    assert await listed(client, headers, due_before="2031-01-01T12:00:00Z") == ["Sooner"]


async def test_completing_a_repeating_task_records_it_and_moves_it_to_the_next_occurrence(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    headers = await in_zone(client, "Europe/Berlin")
    task = await make(
        client, headers, title="Gym", due_at="2030-03-25T08:00:00+01:00", recurrence="FREQ=WEEKLY;BYDAY=MO",
        remind_before="PT30M",
    )  # fmt: skip
    assert task["recurrence_text"] == "every Monday"
    assert task["remind_at"] == "2030-03-25T07:30:00+01:00"
    r = await client.patch(f"{TASKS}/{task['id']}", json={"completed": True}, headers=headers)
    moved = r.json()
    assert moved["completed"] is False
    # The next Monday is after Berlin's DST change: still 08:00 local, now at +02:00, and the reminder follows.
    assert moved["due_at"] == "2030-04-01T08:00:00+02:00"
    assert moved["remind_at"] == "2030-04-01T07:30:00+02:00"
    async with db.connect() as conn:
        outcomes = (
            await conn.execute(select(TaskOccurrence.outcome).where(TaskOccurrence.task_id == task["id"]))
        ).all()
    assert [o.outcome for o in outcomes] == ["completed"]
    skipped = (await client.post(f"{TASKS}/{task['id']}/skip", headers=headers)).json()
    assert skipped["due_at"] == "2030-04-08T08:00:00+02:00"
    stopped = (await client.patch(f"{TASKS}/{task['id']}", json={"recurrence": None}, headers=headers)).json()
    assert stopped["recurrence"] is None
    done = (await client.patch(f"{TASKS}/{task['id']}", json={"completed": True}, headers=headers)).json()
    assert done["completed"] is True
    plain = await make(client, headers, title="Once")
    r = await client.post(f"{TASKS}/{plain['id']}/skip", headers=headers)
    assert r.status_code == 409
    assert "doesn't repeat" in r.json()["error"]["message"]


async def test_a_bad_repeat_rule_is_refused_in_words(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    r = await client.post(TASKS, json={"title": "x", "recurrence": "FREQ=MINUTELY"}, headers=headers)
    assert r.status_code == 422
    assert "daily, weekly, monthly or yearly" in r.json()["error"]["message"]


async def test_a_bulk_change_previews_then_needs_its_token_and_the_token_works_once(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    for n in range(4):
        task = await make(client, headers, title=f"Done {n}")
        await client.patch(f"{TASKS}/{task['id']}", json={"completed": True}, headers=headers)
    await make(client, headers, title="Still to do")
    ask = {"action": "delete", "filter": {"status": "completed"}}
    preview = (await client.post(f"{TASKS}/bulk", json=ask, headers=headers)).json()
    assert preview["status"] == "needs_confirmation"
    assert (preview["count"], preview["message"]) == (4, "Delete these 4 tasks?")
    assert len(await listed(client, headers)) == 5  # nothing changed yet
    confirm = ask | {"confirm_token": preview["confirm_token"]}
    done = (await client.post(f"{TASKS}/bulk", json=confirm, headers=headers)).json()
    assert (done["status"], done["count"]) == ("done", 4)
    assert await listed(client, headers) == ["Still to do"]
    again = (await client.post(f"{TASKS}/bulk", json=confirm, headers=headers)).json()
    assert again == done  # a replayed confirmation answers what was done, and does nothing more


async def test_a_stale_foreign_or_mismatched_confirmation_is_refused(client: httpx.AsyncClient, settings: Any) -> None:
    headers, other = await signup(client), await signup(client)
    for n in range(2):
        await make(client, headers, title=f"Task {n}")
    ask = {"action": "complete", "filter": {"status": "pending"}}
    token = (await client.post(f"{TASKS}/bulk", json=ask, headers=headers)).json()["confirm_token"]
    foreign = await client.post(f"{TASKS}/bulk", json=ask | {"confirm_token": token}, headers=other)
    assert foreign.status_code == 409
    changed = ask | {"action": "delete", "confirm_token": token}
    assert (await client.post(f"{TASKS}/bulk", json=changed, headers=headers)).status_code == 409
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    stale = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")
    r = await client.post(f"{TASKS}/bulk", json=ask | {"confirm_token": stale}, headers=headers)
    assert r.status_code == 409
    assert "expired" in r.json()["error"]["message"]
    assert await listed(client, headers, status="pending") == ["Task 0", "Task 1"]


async def test_undo_takes_back_an_add_an_update_a_delete_and_a_bulk_change_in_turn(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    milk = await make(client, headers, title="Milk", priority="low")
    bread = await make(client, headers, title="Bread")
    await client.patch(f"{TASKS}/{milk['id']}", json={"title": "Oat milk", "priority": "high"}, headers=headers)
    await client.delete(f"{TASKS}/{bread['id']}", headers=headers)
    bulk = {"action": "add_tags", "filter": {}, "tags": ["shop"]}
    await client.post(f"{TASKS}/bulk", json=bulk, headers=headers)  # one task left: done at once

    async def undo() -> dict[str, Any]:
        r = await client.post(f"{TASKS}/undo", headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    assert (await undo())["action"] == "bulk_add_tags"
    assert (await client.get(f"{TASKS}/{milk['id']}", headers=headers)).json()["tags"] == []
    assert (await undo())["action"] == "deleted"
    assert (await client.get(f"{TASKS}/{bread['id']}", headers=headers)).json()["title"] == "Bread"
    assert (await undo())["action"] == "updated"
    restored = (await client.get(f"{TASKS}/{milk['id']}", headers=headers)).json()
    assert (restored["title"], restored["priority"]) == ("Milk", "low")
    assert (await undo())["action"] == "created"
    assert await listed(client, headers) == ["Milk"]
    await undo()
    r = await client.post(f"{TASKS}/undo", headers=headers)
    assert r.status_code == 404
    assert "nothing to undo" in r.json()["error"]["message"]


async def test_undo_never_touches_another_users_changes(client: httpx.AsyncClient) -> None:
    mine, theirs = await signup(client), await signup(client)
    await make(client, mine, title="Mine")
    r = await client.post(f"{TASKS}/undo", headers=theirs)
    assert r.status_code == 404
    assert await listed(client, mine) == ["Mine"]


async def test_the_new_routes_answer_404_for_another_users_tasks(client: httpx.AsyncClient) -> None:
    mine, theirs = await signup(client), await signup(client)
    task = await make(client, mine, title="Mine", tags=["secret"], recurrence="FREQ=DAILY")
    assert (await client.post(f"{TASKS}/{task['id']}/skip", headers=theirs)).status_code == 404
    bulk = {"action": "delete", "filter": {}, "task_ids": [task["id"]]}
    done = (await client.post(f"{TASKS}/bulk", json=bulk, headers=theirs)).json()
    assert done["count"] == 0
    assert (await client.get(f"{TASKS}/tags", headers=theirs)).json() == {"tags": []}
    assert await listed(client, theirs, q="mine") == []
    assert await listed(client, mine) == ["Mine"]


async def test_a_retried_create_with_the_same_idempotency_key_adds_one_task(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(TASKS, json={"title": "Once"}, headers=headers | key)
    second = await client.post(TASKS, json={"title": "Once"}, headers=headers | key)
    assert first.json()["id"] == second.json()["id"]
    assert await listed(client, headers) == ["Once"]


async def test_a_deleted_tasks_number_is_never_given_again(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    headers = await signup(client)
    task = await make(client, headers, title="Highest number so far")
    await client.delete(f"{TASKS}/{task['id']}", headers=headers)
    async with db.begin() as conn:  # the purge after the undo window removes the row for good
        await conn.execute(delete(Task).where(Task.id == task["id"]))
    assert (await make(client, headers, title="Next"))["id"] > task["id"]


async def test_a_relative_reminder_follows_its_due_date_and_fires_again(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    headers = await signup(client)
    task = await make(client, headers, title="Dentist", due_at="2030-05-01T10:00:00Z", remind_before="PT1H")
    async with db.begin() as conn:
        await conn.execute(update(Task).where(Task.id == task["id"]).values(reminded_at=datetime.now(UTC)))
    moved = (
        await client.patch(f"{TASKS}/{task['id']}", json={"due_at": "2030-05-02T10:00:00Z"}, headers=headers)
    ).json()
    assert datetime.fromisoformat(moved["remind_at"]) == datetime(2030, 5, 2, 9, 0, tzinfo=UTC)
    async with db.connect() as conn:
        assert (await conn.execute(select(Task.reminded_at).where(Task.id == task["id"]))).scalar_one() is None
