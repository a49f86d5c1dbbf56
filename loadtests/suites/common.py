"""What every simulated user shares: a pooled account, signing in, think time, route names."""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

from locust import FastHttpUser

from loadtests.runconfig import RunConfig

CONFIG = RunConfig.from_env()
# Route templates, as the API's metrics label them, so Locust's names and the SLO's routes are the same.
LOGIN = "/api/v1/auth/login"
TASKS = "/api/v1/tasks"
TASK = "/api/v1/tasks/{task_id}"
CHAT = "/api/v1/chat"
HEALTH = "/health"
# Access tokens live 30 minutes; sign in again well before, as the web UI refreshes before expiry.
RELOGIN_SECONDS = 20 * 60
_next_account = itertools.count()


def words(n: int = 4) -> str:
    """A few random letters, so every task title is unique and searchable."""
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


class ApiUser(FastHttpUser):
    """A signed-in person; subclasses say what they do and how long they think between actions."""

    abstract = True
    think: tuple[float, float] = (1.0, 3.0)
    network_timeout = 60.0
    connection_timeout = 10.0

    def wait_time(self) -> float:
        low, high = self.think
        return random.uniform(low, high) * CONFIG.wait_scale

    def on_start(self) -> None:
        account = CONFIG.accounts[next(_next_account) % len(CONFIG.accounts)]
        self.account = account
        self.headers: dict[str, str] = {}
        self.signed_in_at = 0.0
        self.sign_in()

    def sign_in(self) -> None:
        body = {"email": self.account.email, "password": self.account.password}
        with self.client.post(LOGIN, json=body, name=LOGIN, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"sign-in answered {response.status_code}: {response.text[:200]}")
                return
            token = response.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.signed_in_at = time.monotonic()

    def ensure_signed_in(self) -> bool:
        """Sign in again when the token is old or missing; False when that failed."""
        if not self.headers or time.monotonic() - self.signed_in_at > RELOGIN_SECONDS:
            self.sign_in()
        return bool(self.headers)

    def json_of(self, response: Any) -> dict[str, Any] | None:
        """The response's JSON object, or None after marking the request failed."""
        try:
            data = response.json()
        except ValueError:
            response.failure(f"answered {response.status_code} without JSON: {response.text[:200]}")
            return None
        if not isinstance(data, dict):
            response.failure(f"answered {response.status_code} with {type(data).__name__}, not an object")
            return None
        return data
