"""Planning through the real google-genai client against the fake Gemini server: dates, priority, tags,
a repeating task, a bulk delete with its confirmation, and undo."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.chat.helpers import say, tasks_of
from tests.chat.test_chat_gemini import gemini_settings
from tests.conftest import signup
from tests.support import LiveServer


def _by_title(tasks: dict[int, dict[str, Any]], words: str) -> dict[str, Any]:
    found = [t for t in tasks.values() if words in t["title"].lower()]
    assert len(found) == 1, tasks
    return found[0]


async def test_a_planning_conversation_works_through_google_genai(database_url: str, fake_gemini_url: str) -> None:
    with LiveServer.start(gemini_settings(database_url, fake_gemini_url)) as live:  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            headers = await signup(client)
            await client.patch("/api/v1/auth/me", json={"timezone": "Europe/Berlin"}, headers=headers)

            await say(client, headers, "add pick up the dry cleaning tomorrow at 5pm #errands high priority")
            cleaning = _by_title(await tasks_of(client, headers), "dry cleaning")
            assert "tomorrow" not in cleaning["title"].lower()
            assert (cleaning["priority"], cleaning["tags"], cleaning["all_day"]) == ("high", ["errands"], False)
            due = datetime.fromisoformat(cleaning["due_at"])
            tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
            assert (due.date(), due.hour, due.minute) == (tomorrow, 17, 0)

            await say(client, headers, "water the plants every monday")
            plants = _by_title(await tasks_of(client, headers), "water the plants")
            assert plants["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
            reply = await say(client, headers, "mark the plants one done")
            assert [c["name"] for c in reply["tool_calls"]][-1] == "complete_task"
            moved = _by_title(await tasks_of(client, headers), "water the plants")
            assert (moved["completed"], moved["due_at"] > plants["due_at"]) == (False, True)

            for title in ("old receipts", "old flyers"):
                added = await client.post("/api/v1/tasks", json={"title": title}, headers=headers)
                await client.patch(f"/api/v1/tasks/{added.json()['id']}", json={"completed": True}, headers=headers)
            ask = await say(client, headers, "clear all completed tasks")
            assert "2" in ask["response"], ask["response"]
            assert ask["response"].rstrip().endswith("?") or "?" in ask["response"]
            assert len(await tasks_of(client, headers)) == 4  # nothing deleted before the yes
            await say(client, headers, "yes", conversation_id=ask["conversation_id"])
            assert sorted(t["title"].lower() for t in (await tasks_of(client, headers)).values()) == [
                "pick up the dry cleaning",
                "water the plants",
            ]
            undone = await say(client, headers, "undo that", conversation_id=ask["conversation_id"])
            assert [c["name"] for c in undone["tool_calls"]] == ["undo_last_change"]
            assert len(await tasks_of(client, headers)) == 4
