"""The simulated people: someone chatting, someone using the REST API, someone reading their list."""

from __future__ import annotations

from typing import Any

from locust import task

from loadtests.suites.common import CHAT, HEALTH, TASK, TASKS, ApiUser, words


class ChatUser(ApiUser):
    """Holds multi-turn conversations that add, list, complete, undo and delete tasks through POST /api/v1/chat."""

    think = (2.0, 5.0)

    def say(self, message: str, conversation: str | None, expect: str) -> dict[str, Any] | None:
        """One turn; the reply must carry a call to the `expect` tool, else the request counts as failed."""
        body: dict[str, Any] = {"message": message}
        if conversation:
            body["conversation_id"] = conversation
        with self.client.post(CHAT, json=body, headers=self.headers, name=CHAT, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"chat answered {response.status_code}: {response.text[:200]}")
                return None
            reply = self.json_of(response)
            if reply is None:
                return None
            tools = [call.get("name") for call in reply.get("tool_calls", [])]
            if expect not in tools:
                response.failure(f"{message!r} called {tools or 'no tool'}, expected {expect}")
                return None
            return reply

    @staticmethod
    def task_id(reply: dict[str, Any]) -> int | None:
        for call in reply["tool_calls"]:
            if call.get("name") == "add_task":
                value = call.get("result", {}).get("task_id")
                return int(value) if value is not None else None
        return None

    @task
    def conversation(self) -> None:
        if not self.ensure_signed_in():
            return
        first = self.say(f"Add a task to renew the passport {words()}", None, "add_task")
        if first is None:
            return
        conversation = str(first["conversation_id"])
        added = [self.task_id(first)]
        self.wait()
        second = self.say(f"Please add a task to call the plumber {words()}", conversation, "add_task")
        if second is not None:
            added.append(self.task_id(second))
        self.wait()
        self.say("What's pending?", conversation, "list_tasks")
        ids = [i for i in added if i is not None]
        if ids:
            self.wait()
            self.say(f"Mark task {ids[0]} as complete", conversation, "complete_task")
            self.wait()
            self.say("undo that", conversation, "undo_last_change")
        self.wait()
        self.say("what's due this week?", conversation, "list_tasks")
        self.wait()
        self.say("Show me all my tasks", conversation, "list_tasks")
        for task_id in ids:
            self.wait()
            self.say(f"Delete task {task_id}", conversation, "delete_task")


class TasksUser(ApiUser):
    """Works the REST API: add a task, look at it, list what is pending, complete it, delete it."""

    think = (0.5, 2.0)

    @task
    def lifecycle(self) -> None:
        if not self.ensure_signed_in():
            return
        created = self.client.post(
            TASKS, json={"title": f"Water the plants {words()}"}, headers=self.headers, name=TASKS
        )
        if created.status_code != 201:
            return
        task_id = created.json()["id"]
        self.wait()
        self.client.get(f"{TASKS}/{task_id}", headers=self.headers, name=TASK)
        self.wait()
        self.client.get(TASKS, params={"status": "pending"}, headers=self.headers, name=TASKS)
        self.wait()
        self.client.patch(f"{TASKS}/{task_id}", json={"completed": True}, headers=self.headers, name=TASK)
        self.wait()
        self.client.delete(f"{TASKS}/{task_id}", headers=self.headers, name=TASK)


class ReaderUser(ApiUser):
    """Reads: lists their tasks (the page most people keep open) and, like a load balancer, checks health."""

    think = (0.5, 1.5)

    @task(4)
    def list_tasks(self) -> None:
        if self.ensure_signed_in():
            self.client.get(TASKS, headers=self.headers, name=TASKS)

    @task(1)
    def health(self) -> None:
        self.client.get(HEALTH, name=HEALTH)
