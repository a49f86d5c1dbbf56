"""The multiprocess directory across worker deaths: counts kept, gauges dropped, folds that change no sum; and the
whole server's CPU and memory, read the way a scrape reads them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from telemetry import multiprocess
from telemetry.server_process import children_of, server_usage

WORKER = """
import sys
from prometheus_client import Counter, Gauge, Histogram
requests = Counter("served", "Requests.", ["route"])
latency = Histogram("latency_seconds", "Latency.", ["route"], buckets=(0.1, 1.0))
live = Gauge("in_flight", "In flight.", multiprocess_mode="livesum")
breaker = Gauge("breaker_open", "Open.", multiprocess_mode="max")
n = int(sys.argv[1])
for i in range(n):
    requests.labels("/a" if i % 2 else "/b").inc()
    latency.labels("/a").observe(0.05 * (i % 30))
live.set(3)
breaker.set(1)
if len(sys.argv) > 2:
    print("ready", flush=True)
    sys.stdin.readline()  # stays alive until told
"""


def run_worker(directory: Path, requests: int) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", WORKER, str(requests)], env=env, check=True, timeout=60)


def exposition(directory: Path) -> dict[str, float]:
    registry = CollectorRegistry()
    multiprocess.LockedMultiProcessCollector(registry, path=str(directory))
    values: dict[str, float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_a_dead_workers_counts_stay_and_its_gauges_go(tmp_path: Path) -> None:
    run_worker(tmp_path, 10)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    live = subprocess.Popen(
        [sys.executable, "-c", WORKER, "4", "stay"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert live.stdout is not None
        assert live.stdout.readline().strip() == b"ready"
        before = exposition(tmp_path)
        assert before['served_total{route="/a"}'] == 7
        assert multiprocess.retire_dead_processes(str(tmp_path)) == 0  # one dead worker: below the fold
        after = exposition(tmp_path)
        assert after['served_total{route="/a"}'] == 7
        assert after['latency_seconds_count{route="/a"}'] == 14
        assert after["in_flight"] == 3  # the live worker's alone
        gauges = sorted(p.name for p in tmp_path.glob("gauge_*.db"))
        assert gauges == [f"gauge_livesum_{live.pid}.db", f"gauge_max_{live.pid}.db"]
    finally:
        live.communicate(b"\n", timeout=30)


def test_folding_many_dead_workers_changes_no_exported_sum(tmp_path: Path) -> None:
    for n in (3, 5, 8, 13, 21, 34):
        run_worker(tmp_path, n)
    before = exposition(tmp_path)
    assert before['served_total{route="/b"}'] == sum((n + 1) // 2 for n in (3, 5, 8, 13, 21, 34))
    folded = multiprocess.retire_dead_processes(str(tmp_path), fold_after=4)
    assert folded == 6
    names = sorted(p.name for p in tmp_path.glob("*.db"))
    assert names == ["counter_archive.db", "histogram_archive.db"]
    counts = {k: v for k, v in before.items() if not k.startswith(("in_flight", "breaker_open"))}
    assert exposition(tmp_path) == pytest.approx(counts, rel=1e-12)  # sums of latencies: added in another order

    for n in (2, 4, 6, 8, 10):  # a second fold adds onto the archive
        run_worker(tmp_path, n)
    again = exposition(tmp_path)
    assert again['served_total{route="/a"}'] == counts['served_total{route="/a"}'] + 15
    assert multiprocess.retire_dead_processes(str(tmp_path), fold_after=4) == 5
    kept = {k: v for k, v in again.items() if not k.startswith(("in_flight", "breaker"))}
    assert exposition(tmp_path) == pytest.approx(kept, rel=1e-12)
    assert len(list(tmp_path.glob("*.db"))) == 2


def test_the_servers_cpu_never_falls_when_a_worker_dies_and_its_memory_is_the_sum(tmp_path: Path) -> None:
    burn = "import time\nend=time.process_time()+0.4\nwhile time.process_time()<end: pass\nprint(1, flush=True)\n"
    burn += "import sys; sys.stdin.readline()"
    workers = [
        subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == b"1"
        me = os.getpid()
        assert {w.pid for w in workers} <= set(children_of(me))
        with_both = server_usage(me)
        assert with_both is not None
        workers[0].kill()
        workers[0].wait(timeout=10)  # reaped: its CPU time moves into ours (cutime)
        after = server_usage(me)
        assert after is not None
        assert after.cpu_seconds >= with_both.cpu_seconds
        assert after.processes == with_both.processes - 1
        assert after.rss_bytes < with_both.rss_bytes
        started = time.time()
        assert started - 7 * 86400 < after.start_time_seconds <= started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.communicate(b"\n", timeout=30)
