"""The smoke steps: each one request or two against the deployed service, as a throwaway user.

A step returns a one-line detail of what it saw, or raises `StepFailed` with what it expected instead. The
first step raises `Unreachable` when nothing answers at the URL at all. Steps share one `SmokeContext`, which
records every thing the run creates so that `cleanup` can remove it whatever happened before.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

API = "/api/v1"
# The five task tools every deployment serves (the interface contract); newer ones may come on top.
CORE_TOOLS = frozenset({"add_task", "list_tasks", "complete_task", "delete_task", "update_task"})
EMAIL_DOMAIN = "example.com"  # reserved for examples: no mail for a smoke account can ever reach anyone


class SmokeError(Exception):
    """A smoke step did not pass."""


class StepFailed(SmokeError):
    """The service answered, but not as a working deployment does."""


class Unreachable(SmokeError):
    """Nothing answered at the URL (refused, unknown host, no answer in time)."""


@dataclass
class SmokeContext:
    """What the steps share: the HTTP client, the throwaway account and everything the run created."""

    http: httpx2.AsyncClient
    mcp_url: str
    timeout: float
    run_id: str = field(default_factory=lambda: secrets.token_hex(5))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    registered: bool = False
    token: str | None = None
    task_ids: list[int] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"smoke-{self.run_id}@{EMAIL_DOMAIN}"

    @property
    def rest_title(self) -> str:
        return f"smoke check {self.run_id} over rest"

    @property
    def chat_title(self) -> str:
        return f"smoke check {self.run_id} by chat"

    @property
    def auth(self) -> dict[str, str]:
        if self.token is None:
            raise StepFailed("no access token: signing up did not complete")
        return {"Authorization": f"Bearer {self.token}"}


def _describe(err: httpx2.HTTPError, timeout: float) -> str:
    if isinstance(err, httpx2.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(err, httpx2.ConnectError):
        return f"cannot connect ({err})" if str(err) else "cannot connect"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


async def request(ctx: SmokeContext, method: str, path: str, expect: int, **kwargs: Any) -> httpx2.Response:
    """One request that must answer `expect`.

    Raises:
        StepFailed: another status, or no answer (with the server's error message when it sent one).
    """
    try:
        response = await ctx.http.request(method, path, **kwargs)
    except httpx2.HTTPError as err:
        raise StepFailed(f"{method} {path}: {_describe(err, ctx.timeout)}") from err
    if response.status_code != expect:
        raise StepFailed(f"{method} {path} answered {response.status_code}, expected {expect}{_message(response)}")
    return response


def _message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("detail")
        if isinstance(message, str):
            return f": {message}"
    return ""


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError as err:
        raise StepFailed(f"{response.request.method} {response.request.url.path} did not answer JSON") from err


async def health(ctx: SmokeContext) -> str:
    """The service is up (liveness); the only step where no answer means "unreachable"."""
    try:
        response = await ctx.http.get("/health")
    except httpx2.HTTPError as err:
        raise Unreachable(f"cannot reach {ctx.http.base_url}: {_describe(err, ctx.timeout)}") from err
    if response.status_code != 200:
        raise StepFailed(f"GET /health answered {response.status_code}: is this a todochat deployment?")
    return "GET /health answered 200"


async def ready(ctx: SmokeContext) -> str:
    """Every dependency the service checks (database, Redis, MCP) is ready."""
    try:
        response = await ctx.http.get("/health/ready")
    except httpx2.HTTPError as err:
        raise StepFailed(f"GET /health/ready: {_describe(err, ctx.timeout)}") from err
    body = _json(response)
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    failing = sorted(name for name, check in checks.items() if check.get("status") != "ok")
    if response.status_code != 200 or failing:
        raise StepFailed(f"not ready ({response.status_code}): failing checks {', '.join(failing) or 'unknown'}")
    return f"ready: {', '.join(sorted(checks)) or 'no checks'}"


async def sign_up(ctx: SmokeContext) -> str:
    """Register the throwaway account and sign in."""
    await request(ctx, "POST", f"{API}/auth/register", 201, json={"email": ctx.email, "password": ctx.password})
    ctx.registered = True
    await _login(ctx)
    return f"signed up {ctx.email}"


async def _login(ctx: SmokeContext) -> None:
    response = await request(ctx, "POST", f"{API}/auth/login", 200, json={"email": ctx.email, "password": ctx.password})
    token = _json(response).get("access_token")
    if not isinstance(token, str):
        raise StepFailed("POST /api/v1/auth/login answered no access_token")
    ctx.token = token


async def create_task(ctx: SmokeContext) -> str:
    """Create a task over REST."""
    response = await request(ctx, "POST", f"{API}/tasks", 201, json={"title": ctx.rest_title}, headers=ctx.auth)
    task_id = _json(response).get("id")
    if not isinstance(task_id, int):
        raise StepFailed("POST /api/v1/tasks answered no task id")
    ctx.task_ids.append(task_id)
    return f"created task {task_id}"


async def _chat(ctx: SmokeContext, message: str) -> dict[str, Any]:
    response = await request(ctx, "POST", f"{API}/chat", 200, json={"message": message}, headers=ctx.auth)
    reply = _json(response)
    if not isinstance(reply, dict) or not isinstance(reply.get("response"), str):
        raise StepFailed("POST /api/v1/chat answered no response text")
    return reply


def _tool_results(reply: dict[str, Any], name: str) -> list[dict[str, Any]]:
    calls = reply.get("tool_calls") or []
    return [call.get("result") or {} for call in calls if isinstance(call, dict) and call.get("name") == name]


async def chat_add(ctx: SmokeContext) -> str:
    """Ask the assistant to add a task: it must call add_task, which must create it."""
    reply = await _chat(ctx, f"add a task to {ctx.chat_title}")
    created = [r for r in _tool_results(reply, "add_task") if r.get("status") == "created"]
    if not created or not isinstance(created[0].get("task_id"), int):
        raise StepFailed(f"the assistant created no task; it said: {reply['response'][:200]!r}")
    ctx.task_ids.append(created[0]["task_id"])
    return f"the assistant added task {created[0]['task_id']} through add_task"


async def chat_pending(ctx: SmokeContext) -> str:
    """Ask what is pending: both tasks must be in the answer (listed by the tool, or named in the reply)."""
    reply = await _chat(ctx, "what's pending?")
    listed = {t.get("id") for r in _tool_results(reply, "list_tasks") for t in r.get("tasks") or []}
    listed |= {t.get("task_id") for r in _tool_results(reply, "list_tasks") for t in r.get("tasks") or []}
    text = reply["response"].lower()
    named = ctx.rest_title in text and ctx.chat_title in text
    missing = [task_id for task_id in ctx.task_ids if task_id not in listed]
    if missing and not named:
        raise StepFailed(f"tasks {missing} missing from the pending list; the assistant said: {text[:200]!r}")
    return f"the assistant listed the {len(ctx.task_ids)} pending tasks"


async def read_back(ctx: SmokeContext) -> str:
    """Both tasks read back over REST, pending, with the titles they were given."""
    for task_id in ctx.task_ids:
        task = _json(await request(ctx, "GET", f"{API}/tasks/{task_id}", 200, headers=ctx.auth))
        title = str(task.get("title", ""))
        if task.get("completed") is not False or ctx.run_id not in title.lower():
            raise StepFailed(f"task {task_id} reads back as {title!r}, completed={task.get('completed')}")
    page = _json(await request(ctx, "GET", f"{API}/tasks", 200, params={"status": "pending"}, headers=ctx.auth))
    pending = {t.get("id") for t in page.get("items", [])}
    if not set(ctx.task_ids) <= pending:
        raise StepFailed(f"GET /api/v1/tasks?status=pending lacks tasks {sorted(set(ctx.task_ids) - pending)}")
    return f"read back tasks {', '.join(map(str, ctx.task_ids))}"


async def mcp_tools(ctx: SmokeContext) -> str:
    """The MCP server lists the task tools to this user's bearer token (the official MCP client)."""
    statuses: list[int] = []

    async def observe(response: httpx2.Response) -> None:
        statuses.append(response.status_code)

    try:
        async with (
            httpx2.AsyncClient(
                headers={**ctx.http.headers, **ctx.auth},
                timeout=httpx2.Timeout(ctx.timeout),
                event_hooks={"response": [observe]},
            ) as http,
            Client(streamable_http_client(ctx.mcp_url, http_client=http), read_timeout_seconds=ctx.timeout) as client,
        ):
            listing = await client.list_tools()
    except BaseException as err:  # narrowed below: the MCP client wraps errors in task groups
        cause = _leaf(err)
        if not isinstance(cause, MCPError | httpx2.HTTPError | OSError):
            raise
        refused = [s for s in statuses if s >= 400]
        why = f"answered {refused[-1]}" if refused else _describe_any(cause, ctx.timeout)
        raise StepFailed(f"MCP tools/list at {ctx.mcp_url}: {why}") from cause
    names = {tool.name for tool in listing.tools}
    if missing := CORE_TOOLS - names:
        raise StepFailed(f"MCP tools/list lacks {', '.join(sorted(missing))}")
    return f"MCP lists {len(names)} tools"


def _leaf(err: BaseException) -> BaseException:
    while isinstance(err, BaseExceptionGroup) and len(err.exceptions) == 1:
        err = err.exceptions[0]
    return err


def _describe_any(err: BaseException, timeout: float) -> str:
    if isinstance(err, httpx2.HTTPError):
        return _describe(err, timeout)
    if isinstance(err, MCPError):
        return err.error.message
    return f"{type(err).__name__}: {err}"


async def cleanup(ctx: SmokeContext) -> str:
    """Delete the tasks, then the account (which takes its conversations and anything left with it).

    Raises:
        StepFailed: the account may still exist; the message names it.
    """
    if not ctx.registered:
        return "nothing to clean up"
    deleted = 0
    try:
        if ctx.token is None:
            await _login(ctx)  # registered, but signing in failed: try once more to get rid of the account
        for task_id in ctx.task_ids:
            await request(ctx, "DELETE", f"{API}/tasks/{task_id}", 204, headers=ctx.auth)
            deleted += 1
    except StepFailed:
        pass  # the account deletion below takes the tasks with it
    try:
        await request(ctx, "DELETE", f"{API}/auth/me", 204, headers=ctx.auth)
    except StepFailed as err:
        raise StepFailed(f"the account {ctx.email} may be left behind: {err}") from err
    ctx.registered = False
    return f"deleted {deleted} tasks and the account {ctx.email}"


Step = Callable[[SmokeContext], Awaitable[str]]
STEPS: tuple[tuple[str, Step], ...] = (
    ("health", health),
    ("ready", ready),
    ("sign-up", sign_up),
    ("create-task", create_task),
    ("chat-add", chat_add),
    ("chat-pending", chat_pending),
    ("read-back", read_back),
    ("mcp-tools", mcp_tools),
)
CLEANUP: tuple[str, Step] = ("cleanup", cleanup)
