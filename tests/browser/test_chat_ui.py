"""The web UI in headless Chromium against the real server: sign up, chat, see the task, tick it off."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import ROOT, TEST_QUOTAS, RunningApp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
SCREENSHOT = ROOT / "docs" / "screenshot-chat.png"

expect.set_options(timeout=30_000)


async def sign_up(page: Page, url: str) -> str:
    email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
    await page.goto(url)
    await page.get_by_role("button", name="Create an account").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    return email


async def say(page: Page, text: str, chip: str) -> None:
    """Send a chat message and wait for the reply that shows the tool-call chip matching `chip`."""
    log = page.get_by_role("log", name="Messages")
    replies = log.get_by_role("article", name="Assistant replied")
    before = await replies.count()
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill(text)
    await composer.press("Enter")
    await expect(replies).to_have_count(before + 1)
    await expect(replies.last.get_by_role("listitem").filter(has_text=re.compile(chip, re.I))).to_be_visible()
    await expect(log).to_have_attribute("aria-busy", "false")


async def api_tasks(url: str, email: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await client.get("/api/v1/tasks", headers=headers)
        r.raise_for_status()
        items: list[dict[str, object]] = r.json()["items"]
        return items


async def test_a_person_signs_up_adds_a_task_by_chatting_and_ticks_it_off(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    email = await sign_up(page, running_app.url)

    # The reply streams in as Server-Sent Events and shows what the assistant did.
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill("add a task to buy milk")
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/chat/stream")) as streamed:
        await composer.press("Enter")
    response = await streamed.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    log = page.get_by_role("log", name="Messages")
    reply = log.get_by_role("article", name="Assistant replied")
    await expect(reply.get_by_role("listitem").filter(has_text=re.compile(r"^added: .*milk", re.I))).to_be_visible()
    await expect(reply.locator(".bubble")).to_contain_text(re.compile("milk", re.I))
    await expect(log).to_have_attribute("aria-busy", "false")

    # The task panel refreshed after the tool call.
    tasks = page.get_by_role("region", name="Tasks")
    milk = tasks.get_by_role("checkbox", name=re.compile("milk", re.I))
    await expect(milk).not_to_be_checked()

    # After a reload the conversation is still there, and opening it again shows the exchange.
    await page.reload()
    conversations = page.get_by_role("navigation", name="Conversations")
    stored = conversations.get_by_role("button", name=re.compile("^add a task to buy milk", re.I))
    await expect(stored).to_be_visible()
    await page.get_by_role("button", name="New chat").click()
    await expect(page.get_by_text("Tell me what you need to do")).to_be_visible()
    await stored.click()
    await expect(stored).to_have_attribute("aria-current", "true")
    await expect(log.get_by_role("article", name="You said")).to_have_text("add a task to buy milk")
    await expect(log.get_by_role("listitem").filter(has_text=re.compile(r"^added: .*milk", re.I))).to_be_visible()

    # The reopened conversation carries on.
    await say(page, "add a task to renew my passport", r"^added: .*passport")
    await expect(tasks.get_by_role("checkbox", name=re.compile("passport", re.I))).not_to_be_checked()

    # Ticking a task off by hand completes it in the database.
    async with page.expect_response(lambda r: "/api/v1/tasks/" in r.url and r.request.method == "PATCH") as patched:
        await milk.check()
    assert (await patched.value).status == 200
    await expect(milk).to_be_checked()
    stored_tasks = {str(t["title"]).lower(): t["completed"] for t in await api_tasks(running_app.url, email)}
    assert stored_tasks == {"buy milk": True, "renew my passport": False}
    await say(page, "what's pending?", r"^listed 1 task$")
    await expect(log.get_by_role("article", name="You said")).to_have_count(3)

    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))

    # Deleting the conversation (after confirming) empties the list and keeps the tasks.
    page.once("dialog", lambda dialog: dialog.accept())
    await conversations.get_by_role("button", name=re.compile("^Delete conversation: add a task")).click()
    await expect(conversations.get_by_text("No conversations yet")).to_be_visible()
    await expect(page.get_by_role("button", name="New chat")).to_be_focused()
    await expect(page.get_by_text("Tell me what you need to do")).to_be_visible()
    await expect(tasks.get_by_role("checkbox")).to_have_count(2)


async def test_signing_out_shows_the_sign_in_form_and_a_reload_stays_signed_out(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    await sign_up(page, running_app.url)
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_label("Email")).to_be_focused()
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_phone_sized_screen_shows_one_section_at_a_time(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    await page.set_viewport_size({"width": 390, "height": 780})
    await sign_up(page, running_app.url)
    tasks = page.get_by_role("region", name="Tasks")
    composer = page.get_by_role("textbox", name="Message")
    await expect(composer).to_be_visible()
    await expect(tasks).to_be_hidden()
    await page.get_by_role("button", name=re.compile("^Tasks")).click()
    await expect(tasks).to_be_visible()
    await expect(composer).to_be_hidden()
    await expect(tasks.get_by_text("No tasks yet")).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"


async def test_an_expired_access_token_is_refreshed_without_asking_to_sign_in_again(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    await sign_up(page, running_app.url)
    await browser.clear_cookies(name="access_token")
    refreshed: list[int] = []
    page.on("response", lambda r: refreshed.append(r.status) if r.url.endswith("/api/v1/auth/refresh") else None)
    await page.reload()
    await expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    assert refreshed == [200]
    assert "access_token" in {c["name"] for c in await browser.cookies()}


async def test_sending_too_fast_shows_when_the_next_message_can_go(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    await sign_up(page, running_app.url)
    composer = page.get_by_role("textbox", name="Message")
    log = page.get_by_role("log", name="Messages")
    quota = int(TEST_QUOTAS["RATE_LIMIT_CHAT_PER_MINUTE"])
    for n in range(quota):
        await composer.fill(f"add a task to water plant {n}")
        await composer.press("Enter")
        await expect(log.get_by_role("article", name="Assistant replied")).to_have_count(n + 1)
        await expect(log).to_have_attribute("aria-busy", "false")
    await composer.fill("add a task to call the bank")
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/chat/stream")) as limited:
        await composer.press("Enter")
    assert (await limited.value).status == 429
    alert = page.get_by_role("alert").filter(has_text="Slow down")
    await expect(alert).to_contain_text(re.compile(r"send again in \d+ s"))
    await expect(page.get_by_role("button", name="Send")).to_be_disabled()
    # The words typed are not lost.
    await expect(composer).to_have_value("add a task to call the bank")


async def test_an_unavailable_model_says_so_and_the_task_list_still_works(
    browser: BrowserContext, app_without_model: RunningApp
) -> None:
    page = await browser.new_page()
    await sign_up(page, app_without_model.url)
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill("add a task to buy milk")
    await composer.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="The assistant is unavailable")
    await expect(alert).to_be_visible()
    await expect(alert.get_by_role("button", name="Try again")).to_be_visible()
    await expect(composer).to_have_value("add a task to buy milk")
    tasks = page.get_by_role("region", name="Tasks")
    await expect(tasks.get_by_text("No tasks yet")).to_be_visible()
