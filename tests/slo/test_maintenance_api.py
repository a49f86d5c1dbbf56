"""GET /api/v1/maintenance: open and upcoming windows from the spec, with ISO 8601 UTC times and their reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI

from app.api.routes.maintenance import install
from app.core.config import Settings
from app.main import create_app

SPEC = Path(__file__).resolve().parents[2] / "slo" / "specs" / "todo-chatbot.yaml"


def spec_with(tmp_path: Path, *windows: dict[str, object]) -> Path:
    doc = yaml.safe_load(SPEC.read_text())
    doc["maintenance"]["windows"] = list(windows)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _minute(delta: dt.timedelta) -> str:
    moment = (dt.datetime.now(dt.UTC) + delta).replace(second=0, microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


async def _get(app: FastAPI) -> dict[str, object]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        response = await client.get("/api/v1/maintenance")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_a_window_within_48_hours_is_announced_with_utc_times_and_its_reason(tmp_path: Path) -> None:
    start, end = _minute(dt.timedelta(hours=20)), _minute(dt.timedelta(hours=22))
    app = FastAPI()
    install(app, spec_with(tmp_path, {"start": start, "end": end, "reason": "Database upgrade"}))
    body = await _get(app)
    assert body["notice_seconds"] == 48 * 3600
    windows = body["windows"]
    assert isinstance(windows, list)
    first = windows[0]
    assert first == {"start": start, "end": end, "reason": "Database upgrade", "status": "announced"}
    assert all(w["status"] == "scheduled" for w in windows[1:] if w["start"] > _minute(dt.timedelta(hours=48)))
    assert len(windows) >= 3


async def test_an_open_window_is_active_and_listed_first(tmp_path: Path) -> None:
    start, end = _minute(dt.timedelta(hours=-1)), _minute(dt.timedelta(hours=1))
    app = FastAPI()
    install(app, spec_with(tmp_path, {"start": start, "end": end, "reason": "Emergency patching"}))
    windows = (await _get(app))["windows"]
    assert isinstance(windows, list)
    assert windows[0]["status"] == "active"
    assert windows[0]["reason"] == "Emergency patching"


async def test_the_app_serves_the_spec_named_by_slo_spec_path(tmp_path: Path) -> None:
    start, end = _minute(dt.timedelta(hours=5)), _minute(dt.timedelta(hours=6))
    path = spec_with(tmp_path, {"start": start, "end": end, "reason": "Moving the database"})
    app = create_app(Settings(app_env="test", slo_spec_path=path, database_url=f"sqlite:///{tmp_path / 'db'}"))
    windows = (await _get(app))["windows"]
    assert isinstance(windows, list)
    assert windows[0]["reason"] == "Moving the database"
