"""The offline assistant in headless Chromium: a typo, a reference and an undo, each seen in the task panel."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.conftest import RunningApp
from tests.browser.test_chat_ui import api_tasks, say, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_typo_a_reference_and_an_undo_each_change_the_task_panel(
    browser: BrowserContext, running_app: RunningApp
) -> None:
    page = await browser.new_page()
    email = await sign_up(page, running_app.url)
    tasks = page.get_by_role("region", name="Tasks")
    batteries = tasks.get_by_role("checkbox", name=re.compile("buy batteries", re.I))

    await say(page, "pls ad a taks to by batteries", r"^added: buy batteries$")
    await expect(batteries).not_to_be_checked()

    await say(page, "mark it done", r"^completed: buy batteries$")
    await expect(batteries).to_be_checked()

    await say(page, "oops, undo that", r"^undo last change$")
    await expect(batteries).not_to_be_checked()
    log = page.get_by_role("log", name="Messages")
    await expect(log.get_by_role("article", name="Assistant replied").last).to_contain_text("Undone")
    stored = {str(t["title"]): t["completed"] for t in await api_tasks(running_app.url, email)}
    assert stored == {"Buy batteries": False}
