"""What telemetry costs: GET /api/v1/tasks served with telemetry fully on and fully off, side by side.

Every mode is a `todochat serve` process (one worker) with a database of its own holding the same user and
tasks: an SQLite file and, when TEST_DATABASE_URL names a PostgreSQL server, a scratch PostgreSQL database.
"on": 100% sampling, OTLP export to a local sink, metrics with exemplars, Sentry with a local DSN. "off":
OTEL_SDK_DISABLED=true, METRICS_ENABLED=false, no Sentry. Logging is the same in both (one canonical JSON line
per request). A third mode, "on, 10% sampled", is "on" with OTEL_TRACES_SAMPLER=parentbased_traceidratio and
_ARG=0.1: what a production deployment that keeps one trace in ten pays. A fourth, "off, GC threshold 700", is
"off" with CPython's own young-generation threshold instead of GC_YOUNG_THRESHOLD's default
(app.core.collector): what that setting saves.

Each mode runs alongside "off": in every round, each of the other modes and an "off" server take load at the
same time, on the same core (taskset, with wrk on another core when there are two or more). The scheduler gives
each of the two half the core, so whatever else the machine does in those seconds slows both alike, and the
ratio of their request counts is the ratio of their costs per request. Run one after the other instead, the
modes met different moments of a shared machine, and the ratio moved by a third from round to round.

Two figures per mode: throughput as wrk sees it (while sharing the core, so about half of what the server does
alone), and the server's CPU time per 1000 requests (utime + stime of the server process from /proc, read
around each round). Ratios are taken pair by pair, and the order of the pairs changes from round to round.

Run: make bench-telemetry
  BENCH_ROUNDS (8), BENCH_SECONDS (5), BENCH_CONNECTIONS (16), BENCH_DATABASES ("sqlite,postgresql"),
  BENCH_PIN (1: pin with taskset), BENCH_SAMPLED (1: also measure the 10%-sampled mode), BENCH_COLLECTOR (1: also
  measure "off" with CPython's collector threshold).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.load import Load, httpx_load, wrk
from bench.servers import Server, cpu_seconds, database, postgres_server_url, sink, sink_received, stop_on_sigterm

PATH = "/api/v1/tasks"
SECRET = "bench-secret-key-" + "z" * 32
TASKS = 20

ON, OFF, SAMPLED, DEFAULT_GC = "on", "off", "on, 10% sampled", "off, GC threshold 700"


@dataclass(frozen=True)
class Round:
    """One timed load run against one mode."""

    mode: str
    load: Load
    cpu: float  # server CPU seconds during the run

    @property
    def cpu_per_1000(self) -> float:
        """Server CPU seconds per 1000 requests."""
        return 1000 * self.cpu / max(1, self.load.requests)

    def __str__(self) -> str:
        return (
            f"{self.load.requests_per_second:7.1f} req/s p99 {self.load.p99_ms:7.2f} ms "
            f"cpu {self.cpu_per_1000:6.3f} s/1000 req"
        )


@dataclass(frozen=True)
class Options:
    rounds: int
    seconds: float
    connections: int
    pin: bool
    sampled: bool
    collector: bool


def options_from_env() -> Options:
    """The benchmark's knobs, from BENCH_* variables."""
    return Options(
        rounds=int(os.environ.get("BENCH_ROUNDS", "8")),
        seconds=float(os.environ.get("BENCH_SECONDS", "5")),
        connections=int(os.environ.get("BENCH_CONNECTIONS", "16")),
        pin=os.environ.get("BENCH_PIN", "1") == "1" and (os.cpu_count() or 1) >= 2 and bool(shutil.which("taskset")),
        sampled=os.environ.get("BENCH_SAMPLED", "1") == "1",
        collector=os.environ.get("BENCH_COLLECTOR", "1") == "1",
    )


def backends_from_env() -> list[str]:
    """The databases to run on: those asked for in BENCH_DATABASES that this machine has."""
    asked = [b.strip() for b in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
    chosen = []
    for backend in asked:
        if backend not in {"sqlite", "postgresql"}:
            raise SystemExit(f"BENCH_DATABASES: unknown database {backend!r} (sqlite, postgresql)")
        if backend == "postgresql" and postgres_server_url() is None:
            print("PostgreSQL skipped: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to include it")
            continue
        chosen.append(backend)
    return chosen


def seed(url: str) -> str:
    """A user with TASKS tasks; returns its access token."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}).raise_for_status()
        login = c.post("/api/v1/auth/login", json={"email": email, "password": "correct horse battery"})
        token: str = login.raise_for_status().json()["access_token"]
        for i in range(TASKS):
            c.post(
                "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, json={"title": f"task {i}"}
            ).raise_for_status()
    return token


def servers(sink_port: int, options: Options) -> list[Server]:
    """The modes to compare, as servers not yet started and without a DATABASE_URL yet."""
    common = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "SENTRY_", "PROMETHEUS_", "METRICS_", "GC_YOUNG_"))
    }
    common.update(
        {
            "APP_ENV": "development",
            "SECRET_KEY": SECRET,
            "LOG_LEVEL": "INFO",
            "RATE_LIMIT_ENABLED": "false",
        }
    )
    off_env = {**common, "OTEL_SDK_DISABLED": "true", "METRICS_ENABLED": "false"}
    on_env = {
        **common,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}",
        "OTEL_TRACES_SAMPLER": "always_on",
        "METRICS_ENABLED": "true",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{sink_port}/1",
    }
    cpu = 1 if options.pin else None
    modes = [Server(ON, on_env, cpu=cpu), Server(OFF, off_env, cpu=cpu)]
    if options.sampled:
        sampled_env = {**on_env, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
        modes.append(Server(SAMPLED, sampled_env, cpu=cpu))
    if options.collector:
        modes.append(Server(DEFAULT_GC, {**off_env, "GC_YOUNG_THRESHOLD": "700"}, cpu=cpu))
    return modes


Pairs = dict[str, list[tuple[Round, Round]]]  # mode -> (its round, the "off" round run at the same time)


def run_backend(backend: str, options: Options) -> Pairs:
    """Start every mode on a fresh database of this kind and run each other mode alongside "off", round by round."""
    load: Callable[[str, str, float, int, int | None], Load] = wrk if shutil.which("wrk") else httpx_load
    load_cpu = 0 if options.pin else None
    with sink() as sink_port, tempfile.TemporaryDirectory() as logs, contextlib.ExitStack() as databases:
        modes = servers(sink_port, options)
        off = next(server for server in modes if server.name == OFF)
        others = [server for server in modes if server is not off]
        tokens: dict[str, str] = {}
        try:
            for server in modes:
                # A database each: two servers on one SQLite file would wait on each other's locks.
                server.env["DATABASE_URL"] = databases.enter_context(database(backend))
                server.start(Path(logs) / f"{server.name.split(',')[0]}-{server.port}.log")
                tokens[server.name] = seed(server.url)
            for server in modes:  # warm up: pools, caches, lazy imports
                load(server.url + PATH, tokens[server.name], 2, options.connections, load_cpu)
            results: Pairs = {server.name: [] for server in others}
            with ThreadPoolExecutor(max_workers=2) as pool:

                def measure(server: Server) -> Round:
                    before = cpu_seconds(server.pid)
                    seen = load(server.url + PATH, tokens[server.name], options.seconds, options.connections, load_cpu)
                    return Round(server.name, seen, cpu_seconds(server.pid) - before)

                for i in range(options.rounds):
                    for server in others[i % len(others) :] + others[: i % len(others)]:
                        mode_round, off_round = pool.map(measure, (server, off))
                        results[server.name].append((mode_round, off_round))
                        print(
                            f"  {backend} round {i + 1:>2} {server.name:<22} {mode_round} | off {off_round}", flush=True
                        )
        finally:
            for server in modes:
                server.stop()
    return results


def spread(values: Sequence[float], digits: int = 1) -> str:
    """`median (min-max)` of the values."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def paired(results: Pairs, mode: str, measure: Callable[[Round], float]) -> list[float]:
    """Pair-by-pair ratios mode/off of a measure (each pair ran at the same time)."""
    return [measure(mode_round) / measure(off_round) for mode_round, off_round in results[mode]]


def report(backend: str, results: Pairs, options: Options, generator: str) -> None:
    """Print the per-mode figures and the on/off ratios for one database."""
    label = "PostgreSQL" if backend == "postgresql" else "SQLite"
    pin = "server on CPU 1, load on CPU 0" if options.pin else "not pinned"
    print()
    print(
        f"GET {PATH} ({TASKS} tasks) on {label}: {options.connections} connections, {options.rounds} rounds x "
        f"{options.seconds:g}s per mode, each alongside off on the same core, {generator}, {pin}; median (min-max)"
    )
    print(f"  {'mode':<22} {'req/s':>22} {'p99 ms':>22} {'CPU s/1000 req':>22}")
    by_mode = {mode: [mode_round for mode_round, _ in pairs] for mode, pairs in results.items()}
    by_mode[OFF] = [off_round for pairs in results.values() for _, off_round in pairs]
    for mode, rounds in by_mode.items():
        rps = spread([r.load.requests_per_second for r in rounds])
        p99 = spread([r.load.p99_ms for r in rounds], 2)
        cpu = spread([r.cpu_per_1000 for r in rounds], 3)
        print(f"  {mode:<22} {rps:>22} {p99:>22} {cpu:>22}")
    throughput = paired(results, ON, lambda r: r.load.requests_per_second)
    cpu_ratio = paired(results, ON, lambda r: r.cpu_per_1000)
    t, c = statistics.median(throughput), statistics.median(cpu_ratio)
    print(f"  throughput on/off:       {spread(throughput, 3)}  -> telemetry costs {100 * (1 - t):.1f}% of throughput")
    print(
        f"  CPU per request on/off:  {spread(cpu_ratio, 3)}  -> telemetry adds {100 * (c - 1):.1f}% CPU per request "
        f"(CPU-bound throughput cost {100 * (1 - 1 / c):.1f}%); goal <= 10%"
    )
    if SAMPLED in results:
        sampled = paired(results, SAMPLED, lambda r: r.load.requests_per_second)
        sampled_cpu = paired(results, SAMPLED, lambda r: r.cpu_per_1000)
        ts = statistics.median(sampled)
        print(
            f"  throughput 10% sampled/off: {spread(sampled, 3)}  -> {100 * (1 - ts):.1f}% of throughput; "
            f"CPU per request {spread(sampled_cpu, 3)}"
        )
    if DEFAULT_GC in results:
        untuned = [1 / ratio for ratio in paired(results, DEFAULT_GC, lambda r: r.load.requests_per_second)]
        untuned_cpu = paired(results, DEFAULT_GC, lambda r: r.cpu_per_1000)
        print(
            f"  GC_YOUNG_THRESHOLD's default against CPython's 700 (telemetry off): throughput x {spread(untuned, 3)}; "
            f"CPU per request at 700 x {spread(untuned_cpu, 3)}"
        )
    errors = sum(r.load.errors for rounds in by_mode.values() for r in rounds)
    print(f"  errors (non-2xx, socket): {errors}; exports and envelopes received by the sink so far: {sink_received()}")


def main() -> int:
    """Run the benchmark on each database and print the figures."""
    stop_on_sigterm()
    options = options_from_env()
    generator = "wrk" if shutil.which("wrk") else "httpx load generator (install wrk for steadier figures)"
    started = time.monotonic()
    reports = []
    for backend in backends_from_env():
        print(f"{backend}: starting", flush=True)
        reports.append((backend, run_backend(backend, options)))
    for backend, results in reports:
        report(backend, results, options, generator)
    print(f"\n(took {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
