"""How many SQL statements a chat turn sends, counted on the server's own engine, so the number cannot creep back.

Counted: every statement the database receives for one POST /api/v1/chat, from the session check to the stored
reply, with the MCP server reached in memory (the default). Transactions: the session check, the person's
message, each tool call, the reply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event

from app.runtime import Runtime
from tests.conftest import make_settings, signup
from tests.support import LiveServer

# (statement keyword, table) for each turn below; the poller of the events stream reads user_events on its own
# schedule, so it is set far apart and its SELECTs are not the turn's.
NEW_CONVERSATION_ADD = Counter(
    {
        ("SELECT", "users"): 2,  # the session check, which also reads the zone; the tool's zone
        ("INSERT", "conversations"): 1,
        ("INSERT", "messages"): 2,  # the person's message, then the reply with its tool calls
        ("INSERT", "tasks"): 1,
        ("INSERT", "task_changes"): 1,  # what undo takes back
        ("INSERT", "user_events"): 1,  # what the live task panel hears
        ("UPDATE", "conversations"): 1,  # the reply touches the conversation
    }
)
SAME_CONVERSATION_ADD = (
    NEW_CONVERSATION_ADD
    - Counter({("INSERT", "conversations"): 1})
    + Counter(
        {("UPDATE", "conversations"): 1, ("SELECT", "messages"): 1}  # touch (which proves ownership), history
    )
)
SAME_CONVERSATION_LIST = Counter(
    {
        ("SELECT", "users"): 2,
        ("UPDATE", "conversations"): 2,
        ("SELECT", "messages"): 1,
        ("INSERT", "messages"): 2,
        ("SELECT", "tasks"): 1,  # the page and its total in one
    }
)


def _key(statement: str) -> tuple[str, str]:
    words = statement.replace('"', "").split()
    keyword = words[0].upper()
    marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}.get(keyword)
    table = words[words.index(marker) + 1] if marker in words else "?"
    return keyword, table.lower()


class Statements:
    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def __call__(self, conn: object, cursor: object, statement: str, *rest: object) -> None:
        key = _key(statement)
        if key != ("SELECT", "user_events"):
            self.seen[key] += 1

    def take(self) -> Counter[tuple[str, str]]:
        taken, self.seen = self.seen, Counter()
        return taken


@pytest.fixture(scope="module")
def counted(database_url: str) -> Iterator[tuple[LiveServer, Statements]]:
    with LiveServer.start(make_settings(database_url, events_poll_seconds=10)) as live:
        runtime: Runtime = live.server.config.app.state.runtime
        statements = Statements()
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", statements)
        try:
            yield live, statements
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", statements)


async def test_a_chat_turn_sends_only_the_statements_its_work_needs(counted: tuple[LiveServer, Statements]) -> None:
    live, statements = counted
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        auth = await signup(client)
        statements.take()

        async def turn(message: str, conversation_id: str | None = None) -> tuple[str, Counter[tuple[str, str]]]:
            body = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
            r = await client.post("/api/v1/chat", json=body, headers=auth)
            assert r.status_code == 200, r.text
            assert r.json()["tool_calls"], r.text
            return r.json()["conversation_id"], statements.take()

        conversation, first = await turn("add a task to buy milk")
        _, second = await turn("add a task to call mom", conversation)
        _, third = await turn("what's on my list?", conversation)

    assert first == NEW_CONVERSATION_ADD, f"{sum(first.values())} statements: {sorted(first.items())}"
    assert second == SAME_CONVERSATION_ADD, f"{sum(second.values())} statements: {sorted(second.items())}"
    assert third == SAME_CONVERSATION_LIST, f"{sum(third.values())} statements: {sorted(third.items())}"
    assert (sum(first.values()), sum(second.values()), sum(third.values())) == (9, 10, 8)
