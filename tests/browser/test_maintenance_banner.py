"""The maintenance notice in headless Chromium: a window within 48 hours shows a banner, readable at phone width,
that stays dismissed for that window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.async_api import BrowserContext, expect

from tests.browser.conftest import RunningApp, serve
from tests.browser.test_chat_ui import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SPEC = Path(__file__).resolve().parents[2] / "slo" / "specs" / "todo-chatbot.yaml"
REASON = "Database upgrade to PostgreSQL 17"


def app_with_one_window(built_frontend: Path, tmp_path: Path, hours_ahead: float) -> Iterator[RunningApp]:
    """The product whose only maintenance window starts `hours_ahead` from now (SLO_SPEC_PATH names the spec):
    the packaged schedule would make what the page shows depend on the day the test runs."""
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    doc = yaml.safe_load(SPEC.read_text())
    doc["maintenance"]["recurring"] = []
    doc["maintenance"]["windows"] = [{"start": start, "end": start + dt.timedelta(hours=2), "reason": REASON}]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(doc))
    with serve(built_frontend, tmp_path, SLO_SPEC_PATH=str(spec)) as app:
        yield app


@pytest.fixture
def app_with_window(built_frontend: Path, tmp_path: Path) -> Iterator[RunningApp]:
    yield from app_with_one_window(built_frontend, tmp_path, hours_ahead=20)


@pytest.fixture
def app_with_a_later_window(built_frontend: Path, tmp_path: Path) -> Iterator[RunningApp]:
    yield from app_with_one_window(built_frontend, tmp_path, hours_ahead=72)


async def test_a_window_within_48_hours_shows_a_dismissible_banner_readable_on_a_phone(
    browser: BrowserContext, app_with_window: RunningApp, tmp_path: Path
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.set_viewport_size({"width": 375, "height": 740})
    await sign_up(page, app_with_window.url)
    banner = page.get_by_role("status", name="Maintenance notice")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Scheduled maintenance")
    await expect(banner).to_contain_text(REASON)
    # Readable at 375 px: nothing runs off the side, and the composer is still on screen under the banner.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    box = await banner.bounding_box()
    assert box is not None
    assert box["width"] <= 375
    await expect(page.get_by_role("textbox", name="Message")).to_be_in_viewport()
    await page.screenshot(path=str(tmp_path / "maintenance-375.png"))

    await page.set_viewport_size({"width": 1280, "height": 800})
    await expect(banner).to_be_visible()
    await page.screenshot(path=str(tmp_path / "maintenance-1280.png"))

    await page.get_by_role("button", name="Dismiss maintenance notice").click()
    await expect(banner).to_be_hidden()
    await page.reload()
    await expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    await expect(page.get_by_role("status", name="Maintenance notice")).to_be_hidden()


async def test_no_banner_shows_when_the_next_window_is_further_than_48_hours(
    browser: BrowserContext, app_with_a_later_window: RunningApp
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await sign_up(page, app_with_a_later_window.url)
    state = httpx.get(f"{app_with_a_later_window.url}/api/v1/maintenance", timeout=10).json()
    assert [w["status"] for w in state["windows"]] == ["scheduled"]
    await page.wait_for_timeout(500)
    await expect(page.get_by_role("status", name="Maintenance notice")).to_have_count(0)
