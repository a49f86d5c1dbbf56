"""Browser telemetry in headless Chromium: one trace from the click to the database, rooted in the browser's own
span (exported to an OTLP receiver as a collector would get it), and browser errors in Sentry with stack frames."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.async_api import BrowserContext, Request, expect

from tests.browser.conftest import FRONTEND, RunningApp, serve
from tests.browser.test_chat_ui import say, sign_up
from tests.support import unavailable
from tests.telemetry.receivers import OtlpReceiver, ReceivedSpan, SentryReceiver, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INSTRUMENTED = "out-instrumented"
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")
SERVER_KIND = 2  # OTLP SpanKind SERVER


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[OtlpReceiver, SentryReceiver]]:
    with serving(OtlpReceiver()) as otlp, serving(SentryReceiver()) as sentry:
        yield otlp, sentry


@pytest.fixture(scope="module")
def instrumented_app(
    receivers: tuple[OtlpReceiver, SentryReceiver], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The UI built with browser tracing (every action sampled) and Sentry on, served by a server that samples
    nothing of its own accord: whatever it records, it records because the browser's header said so."""
    otlp, sentry = receivers
    if shutil.which("npm") is None:
        unavailable("npm is not installed, so the web UI cannot be built")
    env = dict(
        os.environ,
        NEXT_DIST_DIR=INSTRUMENTED,
        NEXT_PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"http://127.0.0.1:{otlp.port}/v1/traces",
        NEXT_PUBLIC_OTEL_TRACES_SAMPLER_ARG="1",
        NEXT_PUBLIC_SENTRY_DSN=sentry.dsn(),
    )
    result = subprocess.run(
        ["npm", "run", "build"], cwd=FRONTEND, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    out = FRONTEND / INSTRUMENTED
    if result.returncode != 0 or not (out / "index.html").is_file():
        pytest.fail(f"building the instrumented web UI failed:\n{result.stdout}\n{result.stderr}")
    with serve(
        out,
        tmp_path_factory.mktemp("instrumented"),
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp.port}",
        OTEL_TRACES_SAMPLER="parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG="0",
        OTEL_BSP_SCHEDULE_DELAY="200",
        UI_TELEMETRY_URLS=f"http://127.0.0.1:{otlp.port}/v1/traces,{sentry.dsn()}",
    ) as app:
        yield app


def _root_of(spans: list[ReceivedSpan], trace_id: str) -> list[ReceivedSpan]:
    ids = {s.span_id for s in spans if s.trace_id == trace_id}
    return [s for s in spans if s.trace_id == trace_id and s.parent_span_id not in ids]


async def test_a_chat_message_from_the_browser_is_one_trace_whose_root_is_the_browsers_span(
    browser: BrowserContext, instrumented_app: RunningApp, receivers: tuple[OtlpReceiver, SentryReceiver]
) -> None:
    otlp, _ = receivers
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await sign_up(page, instrumented_app.url)
    chat_requests: list[Request] = []
    page.on("request", lambda r: chat_requests.append(r) if r.url.endswith("/api/v1/chat/stream") else None)
    await say(page, "add a task to buy milk", r"^added: .*milk")

    match = TRACEPARENT.match(chat_requests[0].headers.get("traceparent", ""))
    assert match, chat_requests[0].headers
    trace_id, client_span_id = match.groups()

    def complete(spans: list[ReceivedSpan]) -> bool:
        mine = [s for s in spans if s.trace_id == trace_id]
        return any(s.service == "todochat-web" and s.parent_span_id == "" for s in mine) and any(
            s.name.startswith("execute_tool") or "add_task" in s.name for s in mine
        )

    spans = [s for s in otlp.wait_for(complete, timeout=30) if s.trace_id == trace_id]
    roots = _root_of(spans, trace_id)
    assert [(r.service, r.name) for r in roots] == [("todochat-web", "POST /api/v1/chat/stream")]
    client = next(s for s in spans if s.span_id == client_span_id)
    assert (client.service, client.parent_span_id) == ("todochat-web", roots[0].span_id)
    server = [s for s in spans if s.parent_span_id == client_span_id]
    assert [(s.service != "todochat-web", s.kind) for s in server] == [(True, SERVER_KIND)]
    assert any("add_task" in s.name or s.attributes.get("gen_ai.tool.name") == "add_task" for s in spans)


async def test_a_browser_error_reaches_sentry_with_stack_frames_it_can_group(
    browser: BrowserContext, instrumented_app: RunningApp, receivers: tuple[OtlpReceiver, SentryReceiver]
) -> None:
    _, sentry = receivers
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.goto(instrumented_app.url)
    await expect(page.get_by_role("button", name="Create an account")).to_be_visible()
    # An uncaught error from the page's own code path (a timer), as a real bug would surface.
    await page.wait_for_function("() => window.__SENTRY__ !== undefined", timeout=15_000)
    await page.evaluate("setTimeout(function brokenHandler() { throw new TypeError('task list exploded'); }, 0)")
    events = sentry.wait_for_event(timeout=20)
    assert events, "no error reached Sentry"
    exception = events[0]["exception"]["values"][0]
    assert (exception["type"], exception["value"]) == ("TypeError", "task list exploded")
    frames = exception["stacktrace"]["frames"]
    assert any(f.get("function") == "brokenHandler" for f in frames), frames
    assert events[0]["environment"] == "development"


async def test_the_default_build_sends_no_trace_header_at_all(browser: BrowserContext, running_app: RunningApp) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if "/api/" in r.url else None)
    await sign_up(page, running_app.url)
    await say(page, "add a task to buy milk", r"^added: .*milk")
    assert sent
    assert [r.url for r in sent if "traceparent" in r.headers] == []
