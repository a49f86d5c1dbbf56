"""The tasks REST API: create, list (status, text search, paging), get, update, delete, and other users' tasks."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import Task
from tests.api.helpers import assert_error_shape, bearer

TASKS = "/api/v1/tasks"


@pytest.fixture
def headers(account: dict[str, str]) -> dict[str, str]:
    """A new user's Authorization header."""
    return bearer(account["access_token"])


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    r = await client.post(TASKS, json=fields, headers=headers)
    assert r.status_code == 201, r.text
    task: dict[str, object] = r.json()
    return task


async def titles(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[str]:
    r = await client.get(TASKS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [t["title"] for t in r.json()["items"]]


# --- create ---------------------------------------------------------------------------------------------------


async def test_creating_a_task_answers_201_and_the_task_is_in_the_database(
    client: httpx.AsyncClient, headers: dict[str, str], db: AsyncEngine
) -> None:
    task = await create(client, headers, title="  Renew passport  ", description="Before the trip")
    assert task["title"] == "Renew passport"
    assert task["description"] == "Before the trip"
    assert task["completed"] is False
    assert isinstance(task["id"], int)
    assert datetime.fromisoformat(str(task["created_at"])).tzinfo is not None
    async with db.connect() as conn:
        stored = (await conn.execute(select(Task.title, Task.completed).where(Task.id == task["id"]))).one()
    assert tuple(stored) == ("Renew passport", False)


async def test_a_task_may_have_a_200_character_title_and_a_1000_character_description(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await create(client, headers, title="t" * 200, description="d" * 1000)
    assert len(str(task["title"])) == 200
    assert len(str(task["description"])) == 1000


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty_title"),
        pytest.param({"title": "   "}, "title", id="blank_title"),
        pytest.param({"title": "t" * 201}, "title", id="title_over_200"),
        pytest.param({"title": "ok", "description": "d" * 1001}, "description", id="description_over_1000"),
        pytest.param({}, "title", id="missing_title"),
        pytest.param({"title": "ok", "owner": "someone"}, "owner", id="unknown_field"),
        pytest.param({"title": "ok", "priority": 9}, "priority", id="priority_out_of_range"),
    ],
)
async def test_creating_a_task_with_bad_fields_answers_422_naming_the_field(
    client: httpx.AsyncClient, headers: dict[str, str], payload: dict[str, object], field: str
) -> None:
    error = assert_error_shape(await client.post(TASKS, json=payload, headers=headers), 422, "invalid_input")
    assert field in [d["field"] for d in error["details"]], error  # type: ignore[attr-defined]


async def test_creating_a_task_without_a_token_answers_401(client: httpx.AsyncClient) -> None:
    assert_error_shape(await client.post(TASKS, json={"title": "x"}), 401, "unauthorized")


# --- list -----------------------------------------------------------------------------------------------------


async def test_listing_filters_by_status(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for title in ("milk", "bread", "eggs"):
        await create(client, headers, title=title)
    bread_id = (await client.get(TASKS, params={"q": "bread"}, headers=headers)).json()["items"][0]["id"]
    await client.patch(f"{TASKS}/{bread_id}", json={"completed": True}, headers=headers)

    assert await titles(client, headers) == ["milk", "bread", "eggs"]
    assert await titles(client, headers, status="all") == ["milk", "bread", "eggs"]
    assert await titles(client, headers, status="pending") == ["milk", "eggs"]
    assert await titles(client, headers, status="completed") == ["bread"]
    error = assert_error_shape(
        await client.get(TASKS, params={"status": "done"}, headers=headers), 422, "invalid_input"
    )
    assert error["details"][0]["field"] == "status"  # type: ignore[index]


async def test_text_search_is_case_insensitive_and_looks_in_the_description(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await create(client, headers, title="Renew PASSPORT")
    await create(client, headers, title="Call mum", description="about the passport photos")
    await create(client, headers, title="Water plants")
    assert await titles(client, headers, q="passport") == ["Renew PASSPORT", "Call mum"]
    assert await titles(client, headers, q="  Passport ") == ["Renew PASSPORT", "Call mum"]
    assert await titles(client, headers, q="PLANT") == ["Water plants"]
    assert await titles(client, headers, q="nothing like this") == []


async def test_search_matches_words_by_prefix_and_takes_symbols_literally(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await create(client, headers, title="100% done")
    await create(client, headers, title="Buy batteries")
    await create(client, headers, title="snake_case")
    await create(client, headers, title="snakeXcase")
    await create(client, headers, title=r"C:\temp")
    assert await titles(client, headers, q="batt") == ["Buy batteries"]
    assert await titles(client, headers, q="battery") == ["Buy batteries"]  # stemmed on both databases
    assert await titles(client, headers, q="snake_case") == ["snake_case"]
    # Text without a word in it is looked for as it is.
    assert await titles(client, headers, q="%") == ["100% done"]
    assert await titles(client, headers, q="\\") == [r"C:\temp"]


async def test_listing_pages_with_limit_offset_and_total(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for n in range(5):
        await create(client, headers, title=f"task {n}")
    r = await client.get(TASKS, params={"limit": 2, "offset": 1}, headers=headers)
    page = r.json()
    assert [t["title"] for t in page["items"]] == ["task 1", "task 2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    last = (await client.get(TASKS, params={"limit": 2, "offset": 4}, headers=headers)).json()
    assert [t["title"] for t in last["items"]] == ["task 4"]
    assert last["total"] == 5
    beyond = (await client.get(TASKS, params={"limit": 2, "offset": 10}, headers=headers)).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5
    filtered = (await client.get(TASKS, params={"limit": 1, "q": "task 3"}, headers=headers)).json()
    assert filtered["total"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit_zero"),
        pytest.param({"limit": 201}, "limit", id="limit_over_200"),
        pytest.param({"offset": -1}, "offset", id="negative_offset"),
        pytest.param({"limit": "ten"}, "limit", id="limit_not_a_number"),
    ],
)
async def test_bad_paging_answers_422(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, object], field: str
) -> None:
    error = assert_error_shape(await client.get(TASKS, params=params, headers=headers), 422, "invalid_input")
    assert error["details"][0]["field"] == field  # type: ignore[index]


# --- get, update, delete --------------------------------------------------------------------------------------


async def test_getting_a_task_answers_it(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    task = await create(client, headers, title="Read", description="a book")
    r = await client.get(f"{TASKS}/{task['id']}", headers=headers)
    assert r.status_code == 200
    assert r.json() == task


async def test_getting_a_task_that_does_not_exist_answers_404(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for missing in (2_000_000_000, 99_999_999_999_999, 0, -3):
        error = assert_error_shape(await client.get(f"{TASKS}/{missing}", headers=headers), 404, "not_found")
        assert error["message"] == f"Task {missing} not found."
    assert_error_shape(await client.get(f"{TASKS}/abc", headers=headers), 422, "invalid_input")


async def test_updating_changes_only_the_given_fields_and_moves_updated_at(
    client: httpx.AsyncClient, headers: dict[str, str], db: AsyncEngine
) -> None:
    task = await create(client, headers, title="Old title", description="keep me")
    await asyncio.sleep(0.01)  # so the clock has moved, however coarse it is
    r = await client.patch(f"{TASKS}/{task['id']}", json={"title": " New title "}, headers=headers)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["title"] == "New title"
    assert updated["description"] == "keep me"
    assert updated["completed"] is False
    assert updated["created_at"] == task["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(str(task["updated_at"]))
    assert (await client.get(f"{TASKS}/{task['id']}", headers=headers)).json() == updated
    async with db.connect() as conn:
        assert (await conn.execute(select(Task.title).where(Task.id == task["id"]))).scalar_one() == "New title"


async def test_completing_and_reopening_a_task(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    task = await create(client, headers, title="Toggle me")
    done = await client.patch(f"{TASKS}/{task['id']}", json={"completed": True}, headers=headers)
    assert done.json()["completed"] is True
    assert done.json()["title"] == "Toggle me"
    reopened = await client.patch(f"{TASKS}/{task['id']}", json={"completed": False}, headers=headers)
    assert reopened.json()["completed"] is False


async def test_clearing_the_description_with_null(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    task = await create(client, headers, title="t", description="gone soon")
    r = await client.patch(f"{TASKS}/{task['id']}", json={"description": None}, headers=headers)
    assert r.status_code == 200
    assert r.json()["description"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty_title"),
        pytest.param({"title": None}, "title", id="null_title"),
        pytest.param({"completed": None}, "completed", id="null_completed"),
        pytest.param({"completed": "maybe"}, "completed", id="completed_not_a_boolean"),
        pytest.param({"description": "d" * 1001}, "description", id="description_over_1000"),
        pytest.param({"id": 5}, "id", id="unknown_field"),
    ],
)
async def test_updating_with_bad_fields_answers_422_and_changes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], payload: dict[str, object], field: str
) -> None:
    task = await create(client, headers, title="Unchanged")
    r = await client.patch(f"{TASKS}/{task['id']}", json=payload, headers=headers)
    error = assert_error_shape(r, 422, "invalid_input")
    assert field in [d["field"] for d in error["details"]], error  # type: ignore[attr-defined]
    assert (await client.get(f"{TASKS}/{task['id']}", headers=headers)).json() == task


async def test_deleting_a_task_answers_204_and_then_404(
    client: httpx.AsyncClient, headers: dict[str, str], db: AsyncEngine
) -> None:
    task = await create(client, headers, title="Delete me")
    r = await client.delete(f"{TASKS}/{task['id']}", headers=headers)
    assert r.status_code == 204
    assert r.content == b""
    assert_error_shape(await client.get(f"{TASKS}/{task['id']}", headers=headers), 404, "not_found")
    assert_error_shape(await client.delete(f"{TASKS}/{task['id']}", headers=headers), 404, "not_found")
    # Kept, hidden, for undo until the purge after the undo window.
    async with db.connect() as conn:
        row = (await conn.execute(select(Task.deleted_at).where(Task.id == task["id"]))).first()
    assert row is not None
    assert row.deleted_at is not None


# --- other users' tasks ---------------------------------------------------------------------------------------


async def test_every_task_route_answers_404_for_another_users_task_and_reveals_nothing(
    client: httpx.AsyncClient, account: dict[str, str], another_account: dict[str, str]
) -> None:
    alice, bob = bearer(account["access_token"]), bearer(another_account["access_token"])
    secret = await create(client, alice, title="Alice's secret plan", description="hidden-description-text")
    url = f"{TASKS}/{secret['id']}"

    attempts = {
        "get": await client.get(url, headers=bob),
        "patch": await client.patch(url, json={"title": "mine now", "completed": True}, headers=bob),
        "delete": await client.delete(url, headers=bob),
    }
    missing_id = int(str(secret["id"])) + 1_000_000
    for route, response in attempts.items():
        error = assert_error_shape(response, 404, "not_found")
        assert error["message"] == f"Task {secret['id']} not found.", route
        assert "secret" not in response.text, route
        assert "hidden-description-text" not in response.text, route
        # Word for word what a task that never existed answers, apart from the id and request id.
        never = await client.request(
            response.request.method,
            f"{TASKS}/{missing_id}",
            headers=bob,
            json={"title": "x"} if route == "patch" else None,
        )
        assert never.json()["error"]["message"].replace(str(missing_id), str(secret["id"])) == error["message"]

    bobs_list = (await client.get(TASKS, params={"q": "secret"}, headers=bob)).json()
    assert bobs_list["items"] == []
    assert bobs_list["total"] == 0
    assert (await client.get(url, headers=alice)).json() == secret
