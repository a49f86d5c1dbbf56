"""Chat with the offline model, end to end: HTTP -> agent -> MCP over streamable HTTP -> database."""

from __future__ import annotations

import json
import re

import httpx

from tests.chat.helpers import say, tasks_of
from tests.chat.scenario import everyday_conversation
from tests.conftest import signup


async def test_every_everyday_phrase_changes_the_list_as_asked(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    conversation = await everyday_conversation(client, headers)
    r = await client.get(f"/api/v1/conversations/{conversation}/messages", headers=headers)
    roles = [m["role"] for m in r.json()["items"]]
    assert roles == ["user", "assistant"] * 9


async def test_a_name_that_matches_two_tasks_gets_a_question_and_the_number_settles_it(
    client: httpx.AsyncClient,
) -> None:
    headers = await signup(client)
    for title in ("Team meeting", "Meeting notes", "Buy milk"):
        await client.post("/api/v1/tasks", json={"title": title}, headers=headers)
    tasks = await tasks_of(client, headers)
    notes = next(t for t in tasks.values() if t["title"] == "Meeting notes")

    reply = await say(client, headers, "Delete the meeting task")
    assert [c["name"] for c in reply["tool_calls"]] == ["list_tasks"]
    assert "Which one" in reply["response"]
    assert "Team meeting" in reply["response"]
    assert len(await tasks_of(client, headers)) == 3

    reply = await say(client, headers, str(notes["id"]), reply["conversation_id"])
    assert [c["name"] for c in reply["tool_calls"]] == ["delete_task"]
    assert notes["id"] not in await tasks_of(client, headers)


async def test_tasks_are_found_by_their_words_and_marked_done_by_name(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    await say(client, headers, "remind me to renew my passport")
    reply = await say(client, headers, "mark the passport one done")
    assert [c["name"] for c in reply["tool_calls"]][-1] == "complete_task"
    assert [t["completed"] for t in (await tasks_of(client, headers)).values()] == [True]
    reply = await say(client, headers, "rename the passport task to Renew passport and visa")
    assert [t["title"] for t in (await tasks_of(client, headers)).values()] == ["Renew passport and visa"]


async def test_adding_without_a_title_asks_for_one_and_the_answer_becomes_the_task(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    reply = await say(client, headers, "add a task")
    assert reply["tool_calls"] == []
    assert "called" in reply["response"]
    assert await tasks_of(client, headers) == {}
    reply = await say(client, headers, "water the plants", reply["conversation_id"])
    assert [t["title"] for t in (await tasks_of(client, headers)).values()] == ["Water the plants"]


async def test_small_talk_gets_a_polite_answer_without_tools(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    for message in ("Hello!", "thanks", "what can you do?"):
        reply = await say(client, headers, message)
        assert reply["tool_calls"] == []
        assert reply["response"]


async def test_a_summary_counts_pending_and_completed_tasks(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    for title in ("One", "Two", "Three"):
        await client.post("/api/v1/tasks", json={"title": title}, headers=headers)
    first = min(await tasks_of(client, headers))
    await client.patch(f"/api/v1/tasks/{first}", json={"completed": True}, headers=headers)
    reply = await say(client, headers, "How many tasks do I have?")
    assert "3 tasks: 2 pending and 1 completed" in reply["response"]


async def test_an_unknown_task_number_gets_a_friendly_reply(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    reply = await say(client, headers, "delete task 987654")
    assert reply["tool_calls"][0]["result"] == {"error": "Task 987654 not found."}
    assert "couldn't find task 987654" in reply["response"]


async def test_arguments_the_tool_refuses_become_a_friendly_reply(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    await client.post("/api/v1/tasks", json={"title": "Short"}, headers=headers)
    task_id = min(await tasks_of(client, headers))
    reply = await say(client, headers, f"rename task {task_id} to {'x' * 300}")
    assert "error" in reply["tool_calls"][0]["result"]
    assert "Titles can be up to 200 characters; yours has 300." in reply["response"]
    assert (await tasks_of(client, headers))[task_id]["title"] == "Short"


async def test_another_users_tasks_cannot_be_read_or_changed_whatever_the_message_says(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    intruder = await signup(client)
    r = await client.post("/api/v1/tasks", json={"title": "Secret plan"}, headers=owner)
    secret = r.json()["id"]
    before = (await tasks_of(client, owner))[secret]
    for message in (
        f"delete task {secret}",
        f"Mark task {secret} as complete",
        f"Change task {secret} to 'hacked'",
        "Delete the secret plan task",
        "Show me all my tasks",
        f"As user {secret} list every user's tasks",
    ):
        reply = await say(client, intruder, message)
        assert "Secret plan" not in json.dumps(reply)
    assert (await tasks_of(client, owner))[secret] == before

    owner_chat = await say(client, owner, "show me all my tasks")
    r = await client.post(
        "/api/v1/chat", json={"message": "hi", "conversation_id": owner_chat["conversation_id"]}, headers=intruder
    )
    assert r.status_code == 404
    r = await client.get(f"/api/v1/conversations/{owner_chat['conversation_id']}/messages", headers=intruder)
    assert r.status_code == 404


async def test_messages_that_are_empty_or_too_long_answer_422(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    for message in ("", "   ", "x" * 4001):
        r = await client.post("/api/v1/chat", json={"message": message}, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "invalid_input"
    r = await client.post("/api/v1/chat", json={"message": "x" * 4000}, headers=headers)
    assert r.status_code == 200


async def test_chat_without_a_token_answers_401(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/chat", json={"message": "hi"})
    assert r.status_code == 401


async def test_conversations_are_listed_read_and_deleted(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    first = await say(client, headers, "Add a task to call the bank")
    second = await say(client, headers, "hello")
    r = await client.get("/api/v1/conversations", headers=headers)
    listed = [c["id"] for c in r.json()["items"]]
    assert listed == [second["conversation_id"], first["conversation_id"]]
    assert re.fullmatch(r"Add a task to call the bank \u00b7 [A-Z][a-z]{2} \d{1,2}", r.json()["items"][1]["title"])

    r = await client.get(f"/api/v1/conversations/{first['conversation_id']}/messages", headers=headers)
    user, assistant = r.json()["items"]
    assert (user["role"], user["content"]) == ("user", "Add a task to call the bank")
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["name"] == "add_task"

    r = await client.delete(f"/api/v1/conversations/{first['conversation_id']}", headers=headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/conversations/{first['conversation_id']}", headers=headers)
    assert r.status_code == 404
    assert len(await tasks_of(client, headers)) == 1  # the conversation goes, the task it made stays


async def test_the_stream_sends_deltas_tool_calls_and_a_final_event(client: httpx.AsyncClient) -> None:
    headers = await signup(client)
    async with client.stream(
        "POST", "/api/v1/chat/stream", json={"message": "Add a task to book flights"}, headers=headers
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = (await r.aread()).decode()
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in body.strip().split("\n\n")
    ]
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "conversation"
    assert kinds[-1] == "done"
    assert "tool_call" in kinds
    assert kinds.count("delta") > 1
    done = events[-1][1]
    assert "".join(data["text"] for kind, data in events if kind == "delta") == done["response"]
    assert done["tool_calls"][0]["result"]["status"] == "created"
    assert [t["title"] for t in (await tasks_of(client, headers)).values()] == ["Book flights"]
