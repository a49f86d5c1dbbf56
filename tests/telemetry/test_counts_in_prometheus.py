"""What a real Prometheus reads from `todochat serve`: counts that survive a killed worker, a 5xx burst that fires
the burn alert, CPU within the machine's cores, and the very first failed request of a fresh process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.engine import make_url

from telemetry import conventions as c
from telemetry.server_process import children_of
from tests.conftest import POSTGRES_URL
from tests.support import migrate, scratch_database, unavailable
from tests.telemetry.processes import Process, base_env, running
from tests.telemetry.prometheus import Prometheus, prometheus

pytestmark = pytest.mark.slow

SECRET = "a-test-secret-of-at-least-32-characters-long"
THREADS = 4  # requests in flight at once: at most this many can be lost with a killed worker
TASKS = '{http_route="/api/v1/tasks",http_request_method="GET"}'
TASKS_5XX = '{http_route="/api/v1/tasks",http_request_method="GET",http_status_class="5xx"}'
COUNT = f"{c.HTTP_SERVER_DURATION}_count"


def _signup(url: str) -> dict[str, str]:
    email, password = f"m-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/api/v1/auth/register", json={"email": email, "password": password}).status_code == 201
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


def send(url: str, headers: dict[str, str], requests: int) -> Counter[str]:
    """GET /api/v1/tasks `requests` times from THREADS clients; answers by status class ("lost" without one)."""

    def one_thread(n: int) -> Counter[str]:
        seen: Counter[str] = Counter()
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for _ in range(n):
                try:
                    seen[f"{client.get('/api/v1/tasks').status_code // 100}xx"] += 1
                except httpx.TransportError:
                    seen["lost"] += 1  # the killed worker's connection: it never recorded this request
        return seen

    shares = [requests // THREADS + (1 if i < requests % THREADS else 0) for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(one_thread, shares), Counter())


def workers_of(server: Process) -> list[int]:
    """uvicorn's worker processes (the supervisor's spawned children, not its resource tracker)."""
    out = []
    for pid in children_of(server.popen.pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
    return out


def started_workers(server: Process) -> int:
    """How many workers have finished starting, by uvicorn's own log line."""
    return sum(1 for line in server.json_lines() if line.get("event") == "Application startup complete.")


def recorded_by(pid: int, directory: Path) -> float:
    """GET /api/v1/tasks requests the worker `pid` has recorded in its own histogram file so far."""
    files = [str(f) for f in directory.glob(f"histogram_{pid}.db")]
    total = 0.0
    for metric in MultiProcessCollector.merge(files, accumulate=True) if files else ():
        for sample in metric.samples:
            labels = sample.labels
            if sample.name == COUNT and labels.get(c.LABEL_ROUTE) == "/api/v1/tasks":
                total += sample.value
    return total


def _execute(url: str, statement: str) -> None:
    async def run() -> None:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Process, Prometheus, str, dict[str, str]]]:
    if not POSTGRES_URL:
        unavailable("TEST_DATABASE_URL is not set (the 5xx burst takes a table away on PostgreSQL)")
    (tmp_path / "multiproc").mkdir()  # prometheus_client needs it before the first metric is made
    with scratch_database(POSTGRES_URL) as url:
        env = base_env(
            DATABASE_URL=url,
            SECRET_KEY=SECRET,
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "multiproc"),
            REMINDER_WORKER="false",
        )
        # Two workers importing the app at once on two busy cores take a while to answer.
        serve = ["serve", "--workers", "2", "--no-migrate"]
        with running(serve, env, tmp_path / "serve.log", startup_seconds=90) as server:
            deadline = time.monotonic() + 30
            while len(workers_of(server)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(workers_of(server)) == 2
            with prometheus([f"127.0.0.1:{server.port}"], tmp_path / "prometheus") as prom:
                yield server, prom, url, env


def test_counts_survive_a_killed_worker_and_a_5xx_burst_fires_the_critical_burn_alert(
    two_workers: tuple[Process, Prometheus, str, dict[str, str]],
) -> None:
    server, prom, url, server_env = two_workers
    instance = f"127.0.0.1:{server.port}"
    prom.wait_for(lambda: prom.value(f"sum({COUNT}{TASKS_5XX})") == 0.0, "the 5xx series was not scraped at 0", 10)
    started = time.time()
    headers = _signup(server.url)
    seen = send(server.url, headers, 150)

    # The worker that has served the most: killing an idle one would lose nothing and prove nothing.
    multiproc = Path(server_env["PROMETHEUS_MULTIPROC_DIR"])
    victim = max(workers_of(server), key=lambda pid: recorded_by(pid, multiproc))
    assert recorded_by(victim, multiproc) > 0
    with ThreadPoolExecutor(1) as pool:  # the kill lands while requests are in flight
        during = pool.submit(send, server.url, headers, 200)
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
        seen += during.result(timeout=120)
    # Traffic goes on until uvicorn's replacement has started (it retires the dead worker's files first).
    deadline, replaced = time.monotonic() + 60, False
    while not replaced and time.monotonic() < deadline:
        seen += send(server.url, headers, 20)
        replaced = victim not in workers_of(server) and started_workers(server) == 3
    assert replaced, f"uvicorn did not replace the killed worker: {workers_of(server)}"
    seen += send(server.url, headers, 100)

    _execute(url, "ALTER TABLE tasks RENAME TO tasks_away")
    try:
        burst = send(server.url, headers, 120)
    finally:
        _execute(url, "ALTER TABLE tasks_away RENAME TO tasks")
    assert burst["5xx"] >= 100, burst
    seen += burst
    ended = time.time()
    prom.wait_for(lambda: prom.scraped_after(ended + 0.5, instance), "no scrape after the load", 10)

    answered = sum(v for k, v in seen.items() if k != "lost")

    def since_start() -> str:
        return f"{int(time.time() - started) + 30}s"  # from before the first request

    def scrapes_in(window: str) -> float:
        return prom.value(f'count_over_time(up{{{c.LABEL_INSTANCE}="{instance}"}}[{window}])') or 0.0

    # On a quiet machine the run can end within ten scrapes; the extrapolation bound below wants more.
    prom.wait_for(lambda: scrapes_in(since_start()) > 10, "fewer than 11 scrapes of the run", 30)
    window = since_start()
    counted = prom.value(f"sum({COUNT}{TASKS})")
    assert counted is not None
    # Only requests in flight on the killed worker can be answered yet uncounted (it records after answering).
    assert answered - THREADS <= counted <= answered, (counted, seen)
    assert prom.value(f"sum(resets({COUNT}{TASKS}[{window}]))") == 0
    # increase() extrapolates to the window's ends at the average rate: by up to about a scrape interval's worth
    # of that rate at each end, and no more (a reset would re-count hundreds).
    scrapes = scrapes_in(window)
    assert scrapes > 10

    def resolution(total: float) -> float:
        return 2 * total / (scrapes - 1) + 1

    increase = prom.value(f"sum(increase({COUNT}{TASKS}[{window}]))")
    assert increase is not None
    assert abs(increase - counted) <= resolution(counted), (increase, counted, scrapes)
    errors = prom.value(f"sum(increase({COUNT}{TASKS_5XX}[{window}]))")
    assert errors is not None
    assert abs(errors - seen["5xx"]) <= resolution(seen["5xx"]), (errors, seen, scrapes)

    burning = '{slo="api-availability",severity="critical",alertstate="firing"}'
    prom.wait_for(lambda: bool(prom.vector(f"ALERTS{burning}")), "the critical burn alert did not fire", 20)
    burn = prom.value('slo:burn_rate{slo="api-availability",window="5m"}')
    assert burn is not None
    assert burn > 14.4

    # The whole server's CPU: one counter that never fell when the worker died, within the machine's cores.
    assert prom.value(f"resets({c.PROCESS_CPU}[{window}])") == 0
    peak = prom.value(f"max_over_time(rate({c.PROCESS_CPU}[10s])[{window}:1s])")
    assert peak is not None
    assert 0.05 < peak <= (os.cpu_count() or 1) * 1.1, peak
    processes = prom.value(c.SERVER_PROCESSES)
    assert processes is not None
    assert processes >= 3  # the supervisor and both workers


def test_a_fresh_processs_first_request_failing_shows_in_the_5_minute_error_ratio(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fresh') / 'todochat.db'}"
    migrate(url)
    with contextlib.closing(sqlite3.connect(make_url(url).database or "")) as db:
        db.execute("ALTER TABLE users RENAME TO users_away")  # so signing up, the first request, fails
        db.commit()
    env = base_env(DATABASE_URL=url, SECRET_KEY=SECRET, REMINDER_WORKER="false")
    with running(["serve", "--no-migrate"], env, tmp_path / "serve.log") as server:
        instance = f"127.0.0.1:{server.port}"
        with prometheus([instance], tmp_path / "prometheus") as prom:
            register_5xx = f'{COUNT}{{http_route="/api/v1/auth/register",http_status_class="5xx"}}'
            prom.wait_for(lambda: prom.value(f"sum({register_5xx})") == 0.0, "no 5xx series at 0 before", 10)
            body = {"email": "first@example.com", "password": "correct horse battery"}
            first = httpx.post(server.url + "/api/v1/auth/register", json=body, timeout=30)
            assert first.status_code >= 500
            sent = time.time()
            prom.wait_for(lambda: prom.scraped_after(sent + 0.5, instance), "no scrape after the request", 10)
            ratio = 'slo:error_ratio{slo="api-availability",window="5m"}'
            prom.wait_for(lambda: (prom.value(ratio) or 0.0) > 0.5, "the failure did not reach the 5m ratio", 10)
            # The counter holds exactly the one failure; increase() over the window extrapolates past the last
            # scrape (up to about twice the raw change with two samples), so it only has to show it was not lost.
            assert prom.value(f"sum({register_5xx})") == 1.0
            assert (prom.value(f"sum(increase({register_5xx}[5m]))") or 0.0) >= 1.0
