"""The built web UI is served at "/" without hiding the API's own answers for its paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from tests.api.helpers import app_client, assert_error_shape
from tests.conftest import make_settings


@pytest.fixture
def with_ui(sqlite_url: str, tmp_path: Path) -> Settings:
    """Settings serving a one-page web UI, as `make run` does with the built frontend."""
    (tmp_path / "index.html").write_text("<!doctype html><html><body><main>chat</main></body></html>")
    return make_settings(sqlite_url, frontend_dir=str(tmp_path))


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("GET", "/api/v1/chat", "POST", id="get_on_chat"),
        pytest.param("PUT", "/api/v1/chat", "POST", id="put_on_chat"),
        pytest.param("DELETE", "/api/v1/auth/login", "POST", id="delete_on_login"),
        pytest.param("POST", "/health", "GET", id="post_on_health"),
    ],
)
async def test_a_wrong_method_on_an_api_route_advertises_the_routes_own_methods_beside_the_web_ui(
    with_ui: Settings, method: str, path: str, allow: str
) -> None:
    async with app_client(with_ui) as client:
        r = await client.request(method, path)
    assert_error_shape(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow


async def test_the_web_ui_still_answers_its_own_paths_and_refuses_writes(with_ui: Settings) -> None:
    async with app_client(with_ui) as client:
        page = await client.get("/")
        missing = await client.get("/no/such/page")
        written = await client.post("/")
    assert page.status_code == 200
    assert "<main>chat</main>" in page.text
    assert_error_shape(missing, 404, "not_found")
    assert_error_shape(written, 405, "method_not_allowed")
    assert written.headers["allow"] == "GET, HEAD"
