import httpx

from tests.conftest import signup


async def test_a_new_user_registers_logs_in_and_manages_tasks(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    r = await client.post("/api/v1/tasks", json={"title": "Buy milk"}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Buy milk"
    r = await client.get("/api/v1/tasks", headers=headers)
    assert [t["title"] for t in r.json()["items"]] == ["Buy milk"]
