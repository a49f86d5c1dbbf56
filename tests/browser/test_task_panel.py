"""Planning in the task panel, in headless Chromium against the real server: add with a date and a tag, watch a
second tab follow, get a reminder, undo a delete, and use it all at phone width."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import RunningApp, serve
from tests.browser.test_chat_ui import PASSWORD, sign_up
from tests.support import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BERLIN = ZoneInfo("Europe/Berlin")
# Another tab hears of a change through the events stream; it must show it well within this.
OTHER_TAB_MS = 2_000


async def api_client(url: str, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


def task_row(page: Page, title: str) -> Locator:
    tasks = page.get_by_role("region", name="Tasks")
    return tasks.get_by_role("listitem").filter(has=page.get_by_role("checkbox", name=re.compile(title, re.I)))


async def open_tasks(page: Page) -> None:
    """On a phone the task panel is one tap away; on a desktop it is always there."""
    switch = page.get_by_role("button", name=re.compile(r"^Tasks"))
    if await switch.is_visible():
        await switch.click()


async def test_a_task_added_in_the_panel_with_a_date_and_tag_shows_in_another_tab_and_undo_restores_a_delete(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    email = await sign_up(page, running_app.url)
    api = await api_client(running_app.url, email)
    try:
        # Sign-up took the browser's zone (the test profile runs in Berlin).
        me = (await api.get("/api/v1/auth/me")).json()
        assert me["timezone"] == "Europe/Berlin"

        other = await browser.new_page()
        await other.goto(running_app.url)
        await expect(other.get_by_role("region", name="Tasks").get_by_text("No tasks yet")).to_be_visible()

        tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date()
        add = page.get_by_role("region", name="Tasks").get_by_role("form", name="Add a task")
        await add.get_by_role("textbox", name="Title").fill("Pay rent")
        await add.get_by_role("button", name=re.compile("Date, priority")).click()
        await add.get_by_label("Due date").fill(tomorrow.isoformat())
        await add.get_by_label("Time").fill("17:00")
        await add.get_by_label("Priority").select_option("high")
        await add.get_by_label("Tags").fill("#Home money")
        await add.get_by_role("button", name="Add").click()

        row = task_row(page, "Pay rent")
        await expect(row).to_contain_text(re.compile(r"Tomorrow 0?5:00|Tomorrow 17:00"))
        await expect(row.get_by_role("button", name="Show #home")).to_be_visible()
        await expect(row).to_contain_text("High")
        await expect(task_row(other, "Pay rent")).to_be_visible(timeout=OTHER_TAB_MS)

        stored = (await api.get("/api/v1/tasks")).json()["items"]
        assert [(t["title"], t["due_at"], t["priority"], t["tags"]) for t in stored] == [
            ("Pay rent", f"{tomorrow.isoformat()}T17:00:00+01:00", "high", ["home", "money"])
        ]
        # The panel shows the number chat speaks of ("complete task #3").
        await expect(row.get_by_text(f"#{stored[0]['id']}", exact=True)).to_be_visible()

        # A task added elsewhere (REST, as another client would) appears in both tabs; the tag filter leaves it out.
        r = await api.post("/api/v1/tasks", json={"title": "Buy milk", "due_at": "2020-01-06"})
        assert r.status_code == 201
        await expect(task_row(page, "Buy milk")).to_contain_text("Overdue", timeout=OTHER_TAB_MS)
        await expect(task_row(other, "Buy milk")).to_be_visible(timeout=OTHER_TAB_MS)
        await page.get_by_role("region", name="Tasks").get_by_label("Tag").select_option("home")
        await expect(task_row(page, "Buy milk")).to_have_count(0)
        await expect(task_row(page, "Pay rent")).to_be_visible()
        await page.get_by_role("region", name="Tasks").get_by_label("Tag").select_option("")
        await page.get_by_role("radio", name="Overdue").check()
        await expect(task_row(page, "Pay rent")).to_have_count(0)
        await expect(task_row(page, "Buy milk")).to_be_visible()
        await page.get_by_role("radio", name="All").check()

        # Deleting takes it away in both tabs; Undo brings it back in both, and in the database.
        await task_row(page, "Buy milk").get_by_role("button", name="Delete “Buy milk”").click()
        await expect(task_row(page, "Buy milk")).to_have_count(0)
        await expect(task_row(other, "Buy milk")).to_have_count(0, timeout=OTHER_TAB_MS)
        notes = page.get_by_role("region", name="Notifications")
        await expect(notes).to_contain_text("Deleted “Buy milk”.")
        await notes.get_by_role("button", name="Undo").click()
        await expect(notes).to_contain_text("Restored “Buy milk”.")
        await expect(task_row(page, "Buy milk")).to_be_visible()
        await expect(task_row(other, "Buy milk")).to_be_visible(timeout=OTHER_TAB_MS)
        titles = sorted(t["title"] for t in (await api.get("/api/v1/tasks")).json()["items"])
        assert titles == ["Buy milk", "Pay rent"]

        # Editing moves the due date and clears the priority; the saved task says so.
        await task_row(page, "Pay rent").get_by_role("button", name="Edit “Pay rent”").click()
        edit = page.get_by_role("form", name="Edit “Pay rent”")
        await edit.get_by_label("Time").fill("18:30")
        await edit.get_by_label("Priority").select_option("")
        await edit.get_by_role("button", name="Save").click()
        await expect(task_row(page, "Pay rent")).not_to_contain_text("High")
        rent = next(t for t in (await api.get("/api/v1/tasks")).json()["items"] if t["title"] == "Pay rent")
        assert (rent["due_at"], rent["priority"]) == (f"{tomorrow.isoformat()}T18:30:00+01:00", None)
    finally:
        await api.aclose()


async def test_a_reminder_pops_up_on_the_page_when_it_comes_due_and_can_be_ticked_off_there(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    email = await sign_up(page, running_app.url)
    api = await api_client(running_app.url, email)
    try:
        soon = datetime.now(UTC) + timedelta(seconds=3)
        due = soon + timedelta(hours=1)
        r = await api.post(
            "/api/v1/tasks", json={"title": "Call mum", "due_at": due.isoformat(), "remind_at": soon.isoformat()}
        )
        assert r.status_code == 201, r.text
        task_id = r.json()["id"]
        await expect(task_row(page, "Call mum")).to_contain_text("Reminder")

        reminder = page.get_by_role("region", name="Notifications").get_by_role("alert")
        await expect(reminder).to_contain_text("Reminder: “Call mum”", timeout=20_000)
        await reminder.get_by_role("button", name="Mark done").click()
        await expect(page.get_by_role("checkbox", name=re.compile("Call mum"))).to_be_checked()
        assert (await api.get(f"/api/v1/tasks/{task_id}")).json()["completed"] is True
    finally:
        await api.aclose()


async def test_the_task_panel_fits_a_phone_and_refuses_a_reminder_without_a_date_in_words(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.set_viewport_size({"width": 375, "height": 740})
    await sign_up(page, running_app.url)
    await open_tasks(page)
    add = page.get_by_role("form", name="Add a task")
    await add.get_by_role("textbox", name="Title").fill("Water the plants")
    await add.get_by_role("button", name=re.compile("Date, priority")).click()
    await add.get_by_label("Reminder").select_option(label="10 minutes before")
    await add.get_by_role("button", name="Add").click()
    await expect(add.get_by_role("alert")).to_contain_text("needs a due date")
    await add.get_by_label("Reminder").select_option("")
    await add.get_by_label("Repeat").select_option(label="Every day")
    await add.get_by_role("button", name="Add").click()
    row = task_row(page, "Water the plants")
    await expect(row).to_contain_text("every day")
    # Nothing sticks out sideways at phone width.
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 375
    box = await row.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375


async def test_the_page_reconnects_to_its_event_stream_after_a_restart_even_when_its_access_cookie_expired_meanwhile(
    browser: BrowserContext, built_frontend: Path, tmp_path: Path
) -> None:
    port = free_port()
    with serve(built_frontend, tmp_path, port=port) as app:
        page = browser.pages[0] if browser.pages else await browser.new_page()
        email = await sign_up(page, app.url)
        await expect(page.get_by_role("region", name="Tasks").get_by_text("No tasks yet")).to_be_visible()
    # While the server is away the access cookie lapses: the stream's next connection is refused with a 401,
    # on which EventSource gives up for good unless the page refreshes the session and opens a new one.
    await browser.clear_cookies(name="access_token")
    with serve(built_frontend, tmp_path, port=port) as app:
        api = await api_client(app.url, email)
        try:
            refreshed = page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh"), timeout=40_000)
            async with refreshed as refresh:
                pass
            assert (await refresh.value).ok
            r = await api.post("/api/v1/tasks", json={"title": "Renew passport"})
            assert r.status_code == 201
            await expect(task_row(page, "Renew passport")).to_be_visible(timeout=10_000)
        finally:
            await api.aclose()
