"""DELETE /api/v1/auth/me: the account goes, with every row it owns, and no token of it works afterwards."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import Conversation, Message, RefreshToken, Task, TaskChange, User, UserEvent
from tests.conftest import signup

PASSWORD = "correct horse battery"


async def rows_of(db: AsyncEngine, user_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each user-owned table still belong to `user_id`."""
    async with db.connect() as conn:
        counts = {
            "users": select(func.count()).select_from(User).where(User.id == user_id),
            "tasks": select(func.count()).select_from(Task).where(Task.user_id == user_id),
            "task_changes": select(func.count()).select_from(TaskChange).where(TaskChange.user_id == user_id),
            "user_events": select(func.count()).select_from(UserEvent).where(UserEvent.user_id == user_id),
            "conversations": select(func.count()).select_from(Conversation).where(Conversation.user_id == user_id),
            "messages": select(func.count())
            .select_from(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.user_id == user_id),
            "refresh_tokens": select(func.count()).select_from(RefreshToken).where(RefreshToken.user_id == user_id),
        }
        return {name: (await conn.execute(query)).scalar_one() for name, query in counts.items()}


async def user_with_data(client: httpx.AsyncClient) -> tuple[dict[str, str], uuid.UUID, str]:
    email = f"leaving-{uuid.uuid4().hex[:12]}@example.com"
    auth = await signup(client, email=email, password=PASSWORD)
    user_id = uuid.UUID((await client.get("/api/v1/auth/me", headers=auth)).json()["id"])
    r = await client.post("/api/v1/tasks", json={"title": "renew the passport"}, headers=auth)
    assert r.status_code == 201, r.text
    r = await client.delete(f"/api/v1/tasks/{r.json()['id']}", headers=auth)  # kept a day for undo
    assert r.status_code == 204, r.text
    r = await client.post("/api/v1/chat", json={"message": "add a task to water the plants"}, headers=auth)
    assert r.status_code == 200, r.text
    return auth, user_id, email


async def test_deleting_the_account_removes_its_tasks_conversations_messages_and_sessions(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    auth, user_id, _ = await user_with_data(client)
    before = await rows_of(db, user_id)
    assert before["tasks"] == 2, before
    assert before["conversations"] == 1, before
    assert before["messages"] >= 2, before

    r = await client.delete("/api/v1/auth/me", headers=auth)

    assert r.status_code == 204, r.text
    assert await rows_of(db, user_id) == dict.fromkeys(before, 0)


async def test_after_deletion_no_token_of_the_account_works_and_it_cannot_sign_in(client: httpx.AsyncClient) -> None:
    auth, _, email = await user_with_data(client)
    other = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    other_auth = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert (await client.get("/api/v1/tasks", headers=other_auth)).status_code == 200  # cached as active

    assert (await client.delete("/api/v1/auth/me", headers=auth)).status_code == 204

    for headers in (auth, other_auth):
        assert (await client.get("/api/v1/tasks", headers=headers)).status_code == 401
        assert (await client.delete("/api/v1/auth/me", headers=headers)).status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": other.json()["refresh_token"]})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401


async def test_deleting_one_account_leaves_other_accounts_untouched(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    leaving, _, _ = await user_with_data(client)
    staying, staying_id, _ = await user_with_data(client)
    before = await rows_of(db, staying_id)

    assert (await client.delete("/api/v1/auth/me", headers=leaving)).status_code == 204

    assert await rows_of(db, staying_id) == before
    tasks = (await client.get("/api/v1/tasks", headers=staying)).json()
    assert [t["title"] for t in tasks["items"]] == ["Water the plants"]


async def test_deleting_the_account_needs_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    r = await client.delete("/api/v1/auth/me")
    assert r.status_code == 401
