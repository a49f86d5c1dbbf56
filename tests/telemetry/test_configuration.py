"""Configuration details: what the settings switch, what the logging set-up keeps quiet, the benchmark's parsers."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

import pytest

import telemetry
from app.core.config import Settings
from bench.calls import Counts
from bench.instructions import _instructions
from bench.load import parse_wrk, wrk_latency_ms
from bench.servers import cpu_seconds, stop_on_sigterm
from telemetry import logs, multiprocess
from telemetry.config import TelemetryConfig
from telemetry.exposition import reset_multiprocess_dir

WRK_REPORT = """Running 5s test @ http://127.0.0.1:41234/api/v1/tasks
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    28.41ms    6.02ms  81.33ms   80.12%
    Req/Sec   563.40     61.09   670.00     74.00%
  Latency Distribution
     50%   27.13ms
     75%   30.40ms
     90%   35.51ms
     99%   52.87ms
  2817 requests in 5.01s, 3.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    562.28
Transfer/sec:    633.50KB
"""


def test_metrics_enabled_setting_switches_metrics_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_ENABLED", "false")
    assert TelemetryConfig.resolve(Settings()).metrics is False
    assert TelemetryConfig.resolve(Settings(metrics_enabled=True)).metrics is True


def test_an_access_log_uvicorn_switched_off_stays_off_and_sqlalchemy_logs_only_warnings() -> None:
    access = logging.getLogger("uvicorn.access")
    saved = (access.propagate, list(access.handlers), access.level)
    access.handlers, access.propagate = [], False  # what uvicorn does with access_log=False
    try:
        logs.configure(TelemetryConfig.resolve(Settings(log_level="INFO"), log_json=True))
        assert not access.hasHandlers()
        assert not logging.getLogger("sqlalchemy.orm.mapper.Mapper").isEnabledFor(logging.INFO)
        assert logging.getLogger("sqlalchemy.pool").isEnabledFor(logging.WARNING)
    finally:
        access.propagate, access.handlers = saved[0], saved[1]
        access.setLevel(saved[2])
        current = telemetry.current_config()
        if current is not None:  # back to what this process's servers were set up with
            logs.configure(current)


def test_a_multi_worker_start_empties_the_multiprocess_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("counter_123.db", "histogram_456.db"):
        (tmp_path / name).write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("not a metrics file")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert reset_multiprocess_dir() == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != multiprocess.LOCK_FILE) == ["notes.txt"]
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert reset_multiprocess_dir() == 0


def test_the_benchmark_reads_wrks_report_with_errors_and_units() -> None:
    load = parse_wrk(WRK_REPORT)
    assert load.requests == 2817
    assert load.seconds == pytest.approx(5.01)
    assert load.p99_ms == pytest.approx(52.87)
    assert load.errors == 4 + 1 + 2
    assert wrk_latency_ms("812.00us") == pytest.approx(0.812)
    assert wrk_latency_ms("1.50s") == pytest.approx(1500)
    with pytest.raises(ValueError, match="cannot read"):
        parse_wrk("wrk: connection refused")


def test_the_benchmark_reads_a_processes_cpu_time_from_proc() -> None:
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(300_000))  # burn a little CPU
    assert cpu_seconds(os.getpid()) >= before > 0


def test_the_instruction_benchmark_reads_callgrinds_total(tmp_path: Path) -> None:
    out = tmp_path / "callgrind.out"
    out.write_text(
        "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfl=(1) x.c\nfn=(1) main\n3 7\nsummary: 1234567\n"
    )
    assert _instructions(out) == 1234567
    out.write_text("events: Ir\nsummary: 0\nfn=(1) main\n3 42\ntotals: 42\n")  # instrumentation off at start
    assert _instructions(out) == 42
    out.write_text("events: Ir\n")
    with pytest.raises(ValueError, match="no instruction total"):
        _instructions(out)


def test_sigterm_unwinds_the_benchmark_so_its_servers_are_stopped() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    stopped = []

    def benchmark() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises at the next bytecode
        finally:
            stopped.append(True)  # where the benchmark stops its servers

    try:
        stop_on_sigterm()
        with pytest.raises(SystemExit) as exited:
            benchmark()
        assert exited.value.code == 128 + signal.SIGTERM
        assert stopped == [True]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_call_benchmark_counts_new_frames_not_resumed_coroutines() -> None:
    def leaf(n: int) -> int:
        return n + 1

    async def resumed() -> int:
        total = 0
        for n in range(3):
            await asyncio.sleep(0)  # suspended and resumed three times: one call
            total += leaf(n)
        return total

    counts = Counts()
    sys.settrace(counts.trace)
    try:
        assert asyncio.run(resumed()) == 6
    finally:
        sys.settrace(None)
    found = counts.by_function(1)
    (coroutine,) = [v for k, v in found.items() if k.endswith("resumed")]
    (called,) = [v for k, v in found.items() if k.endswith("leaf")]
    assert coroutine["calls"] == 1
    assert called["calls"] == 3
    assert called["bytecodes"] >= 3 * 3  # at least LOAD_FAST, LOAD_CONST, BINARY_OP each time
    assert coroutine["bytecodes"] > called["bytecodes"]
