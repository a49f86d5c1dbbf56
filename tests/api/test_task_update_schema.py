"""The OpenAPI schema of a task update says which fields take null, as the API itself does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.api.helpers import bearer

TASKS = "/api/v1/tasks"


def takes_null(prop: dict[str, Any]) -> bool:
    branches = prop.get("anyOf", [prop])
    return any(b.get("type") == "null" for b in branches)


@pytest.fixture(scope="module")
def update_schema(settings: Settings) -> dict[str, Any]:
    schema: dict[str, Any] = create_app(settings).openapi()["components"]["schemas"]["TaskUpdate"]
    return schema


def test_the_update_schema_refuses_null_for_title_and_completed(update_schema: dict[str, Any]) -> None:
    props = update_schema["properties"]
    assert not takes_null(props["title"]), props["title"]
    assert not takes_null(props["completed"]), props["completed"]
    assert takes_null(props["description"]), "an explicit null clears the description"


async def test_each_update_field_takes_null_exactly_when_the_schema_says_so(
    client: httpx.AsyncClient, account: dict[str, str], update_schema: dict[str, Any]
) -> None:
    headers = bearer(account["access_token"])
    r = await client.post(TASKS, json={"title": "Renew passport"}, headers=headers)
    assert r.status_code == 201, r.text
    task_id = r.json()["id"]
    answers = {}
    for field in update_schema["properties"]:
        r = await client.patch(f"{TASKS}/{task_id}", json={field: None}, headers=headers)
        answers[field] = r.status_code
    expected = {field: 200 if takes_null(prop) else 422 for field, prop in update_schema["properties"].items()}
    assert answers == expected
