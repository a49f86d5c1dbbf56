"""One JSON error shape for every failure; no stack trace leaves the server."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.deps import SessionDep
from app.api.errors import install_error_handlers
from app.core.config import Settings
from app.core.errors import NotFound
from app.main import create_app
from tests.api.helpers import asgi_client, assert_error_shape, bearer

SECRET_DETAIL = "internal-detail-that-must-not-leak"


async def test_each_failure_status_answers_the_one_error_shape(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    headers = bearer(account["access_token"])
    duplicate = {"email": account["email"], "password": "long enough password"}
    cases: list[tuple[httpx.Response, int, str]] = [
        (await client.get("/api/v1/auth/me"), 401, "unauthorized"),
        (await client.get("/api/v1/tasks/123456789", headers=headers), 404, "not_found"),
        (await client.get("/no/such/route"), 404, "not_found"),
        (await client.delete("/health"), 405, "method_not_allowed"),
        (await client.post("/api/v1/auth/register", json=duplicate), 409, "conflict"),
        (await client.post("/api/v1/tasks", json={"title": ""}, headers=headers), 422, "invalid_input"),
        (await client.post("/api/v1/tasks", content=b"{not json", headers=headers), 422, "invalid_input"),
    ]
    for response, status, code in cases:
        assert_error_shape(response, status, code)
    assert cases[3][0].headers["allow"] == "GET"


async def test_invalid_input_lists_every_bad_field_with_a_message(
    client: httpx.AsyncClient, account: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/tasks", json={"title": "", "description": "d" * 1001}, headers=bearer(account["access_token"])
    )
    error = assert_error_shape(r, 422, "invalid_input")
    details = {d["field"]: d["message"] for d in error["details"]}  # type: ignore[attr-defined]
    assert set(details) == {"title", "description"}
    assert details["title"] == "A task needs a title."
    assert details["description"] == "Descriptions can be up to 1000 characters; yours has 1001."
    assert str(error["message"]).startswith("The request is not valid: ")


def app_with_failing_routes(settings: Settings) -> FastAPI:
    """The real application plus two routes that fail the way bugs do."""
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/bad-sql")
    async def bad_sql(session: SessionDep) -> None:
        await session.execute(text(f"SELEC {SECRET_DETAIL!r}"))

    return app


async def test_an_unexpected_exception_answers_500_without_a_stack_trace(settings: Settings) -> None:
    app = app_with_failing_routes(settings)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        for path in ("/boom", "/bad-sql"):
            r = await client.get(path)
            error = assert_error_shape(r, 500, "internal_error")
            assert "went wrong on our side" in str(error["message"])
            for leak in (SECRET_DETAIL, "Traceback", "RuntimeError", "SELEC", 'File "'):
                assert leak not in r.text, (path, r.text)
        # The application keeps serving after a failure.
        assert (await client.get("/health")).status_code == 200


class SetsRequestId:
    """A stand-in for the request-id middleware: it records an id in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["request_id"] = "req-123"
        await self.app(scope, receive, send)


async def test_error_bodies_carry_the_request_id_a_middleware_recorded() -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(SetsRequestId)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("Task 7 not found.")

    async with asgi_client(app) as client:
        responses: list[Any] = [await client.get("/boom"), await client.get("/missing"), await client.get("/nope")]
    assert [r.status_code for r in responses] == [500, 404, 404]
    assert [r.json()["error"]["request_id"] for r in responses] == ["req-123"] * 3


async def test_the_error_body_and_the_response_header_name_the_same_request(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/auth/me", headers={"X-Request-ID": "abc-123-def"})
    error = assert_error_shape(r, 401, "unauthorized")
    assert error["request_id"] == r.headers.get("x-request-id")
