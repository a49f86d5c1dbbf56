"""What telemetry costs: GET /api/v1/tasks served with telemetry off, on by the fast path, and on by the stock
OpenTelemetry SDK (TELEMETRY_FAST_PATH=false), at 100% and at 10% sampling, side by side.

Every mode is a `todochat serve` process (one worker) with a database of its own holding the same user and
tasks: an SQLite file and, when TEST_DATABASE_URL names a PostgreSQL server, a scratch PostgreSQL database.
"fast"/"stock": OTLP export to a local sink, metrics with exemplars, Sentry with a local DSN, 100% sampling or
parentbased_traceidratio at 0.1. "off": OTEL_SDK_DISABLED=true, METRICS_ENABLED=false, no Sentry. Logging is
the same in all (one canonical JSON line per request). "off, GC threshold 700" is "off" with CPython's own
young-generation threshold instead of GC_YOUNG_THRESHOLD's default (app.core.collector).

Modes run in pairs, at the same time, on the same core (taskset, with wrk on another core when there are two or
more): fast beside off, stock beside fast at the same sampling. The scheduler gives each of the two half the core,
so whatever else the machine does in those seconds slows both alike, and the ratio of their request counts is
the ratio of their costs per request (run one after the other, ratios moved by a third from round to round).

Two figures per mode: throughput as wrk sees it (while sharing the core, so about half of what the server does
alone), and the server's CPU time per 1000 requests (utime + stime of the server process from /proc, read
around each round). Ratios are taken pair by pair, and the order of the pairs changes from round to round.

Run: make bench-telemetry
  BENCH_ROUNDS (8), BENCH_SECONDS (5), BENCH_CONNECTIONS (16), BENCH_DATABASES ("sqlite,postgresql"),
  BENCH_PIN (1: pin with taskset), BENCH_SAMPLED (1: also the 10%-sampled modes), BENCH_STOCK (1: also the stock
  SDK's modes), BENCH_COLLECTOR (1: also "off" with CPython's collector threshold).
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

OFF, DEFAULT_GC = "off", "off, GC threshold 700"
FAST, STOCK, FAST_SAMPLED, STOCK_SAMPLED = "fast 100%", "stock 100%", "fast 10%", "stock 10%"
# Each mode measured against the one it runs beside.
PARTNERS = {FAST: OFF, STOCK: FAST, FAST_SAMPLED: OFF, STOCK_SAMPLED: FAST_SAMPLED, DEFAULT_GC: OFF}


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
    stock: bool
    collector: bool


def options_from_env() -> Options:
    """The benchmark's knobs, from BENCH_* variables."""
    return Options(
        rounds=int(os.environ.get("BENCH_ROUNDS", "8")),
        seconds=float(os.environ.get("BENCH_SECONDS", "5")),
        connections=int(os.environ.get("BENCH_CONNECTIONS", "16")),
        pin=os.environ.get("BENCH_PIN", "1") == "1" and (os.cpu_count() or 1) >= 2 and bool(shutil.which("taskset")),
        sampled=os.environ.get("BENCH_SAMPLED", "1") == "1",
        stock=os.environ.get("BENCH_STOCK", "1") == "1",
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
    sampled_env = {**on_env, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    stock = {"TELEMETRY_FAST_PATH": "false"}
    modes = [Server(OFF, off_env, cpu=cpu), Server(FAST, on_env, cpu=cpu)]
    if options.stock:
        modes.append(Server(STOCK, {**on_env, **stock}, cpu=cpu))
    if options.sampled:
        modes.append(Server(FAST_SAMPLED, sampled_env, cpu=cpu))
        if options.stock:
            modes.append(Server(STOCK_SAMPLED, {**sampled_env, **stock}, cpu=cpu))
    if options.collector:
        modes.append(Server(DEFAULT_GC, {**off_env, "GC_YOUNG_THRESHOLD": "700"}, cpu=cpu))
    return modes


Pairs = dict[str, list[tuple[Round, Round]]]  # mode -> (its round, its partner's round run at the same time)


def run_backend(backend: str, options: Options) -> Pairs:
    """Start every mode on a fresh database of this kind and run each beside its partner, round by round."""
    load: Callable[[str, str, float, int, int | None], Load] = wrk if shutil.which("wrk") else httpx_load
    load_cpu = 0 if options.pin else None
    with sink() as sink_port, tempfile.TemporaryDirectory() as logs, contextlib.ExitStack() as databases:
        modes = servers(sink_port, options)
        by_name = {server.name: server for server in modes}
        others = [server for server in modes if server.name != OFF]
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
                        partner = by_name[PARTNERS[server.name]]
                        mode_round, partner_round = pool.map(measure, (server, partner))
                        results[server.name].append((mode_round, partner_round))
                        print(f"  {backend} round {i + 1:>2} {server.name:<12} {mode_round}", end="", flush=True)
                        print(f" | {partner.name:<10} {partner_round}", flush=True)
        finally:
            for server in modes:
                server.stop()
    return results


def spread(values: Sequence[float], digits: int = 1) -> str:
    """`median (min-max)` of the values."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def paired(results: Pairs, mode: str, measure: Callable[[Round], float]) -> list[float]:
    """Pair-by-pair ratios mode/partner of a measure (each pair ran at the same time)."""
    return [measure(mode_round) / measure(off_round) for mode_round, off_round in results[mode]]


def throughput(r: Round) -> float:
    return r.load.requests_per_second


def cpu(r: Round) -> float:
    return r.cpu_per_1000


def report(backend: str, results: Pairs, options: Options, generator: str) -> None:
    """Print the per-mode figures, then fast against off and stock against fast, 100% and 10% side by side."""
    label = "PostgreSQL" if backend == "postgresql" else "SQLite"
    pin = "server on CPU 1, load on CPU 0" if options.pin else "not pinned"
    print()
    print(
        f"GET {PATH} ({TASKS} tasks) on {label}: {options.connections} connections, {options.rounds} rounds x "
        f"{options.seconds:g}s per pair, the two of a pair on the same core, {generator}, {pin}; median (min-max)"
    )
    print(f"  {'mode':<22} {'req/s':>22} {'p99 ms':>22} {'CPU s/1000 req':>22}")
    by_mode: dict[str, list[Round]] = {}
    for mode, pairs in results.items():
        for mode_round, partner_round in pairs:
            by_mode.setdefault(mode, []).append(mode_round)
            by_mode.setdefault(PARTNERS[mode], []).append(partner_round)
    for mode in [m for m in (OFF, FAST, STOCK, FAST_SAMPLED, STOCK_SAMPLED, DEFAULT_GC) if m in by_mode]:
        rounds = by_mode[mode]
        rps = spread([throughput(r) for r in rounds])
        p99 = spread([r.load.p99_ms for r in rounds], 2)
        cpu_spread = spread([cpu(r) for r in rounds], 3)
        print(f"  {mode:<22} {rps:>22} {p99:>22} {cpu_spread:>22}")
    print()
    print(f"  {'ratio (pair by pair)':<34} {'100% sampled':>24} {'10% sampled':>24}")
    rows = [
        ("throughput fast/off", FAST, FAST_SAMPLED, throughput),
        ("CPU per request fast/off", FAST, FAST_SAMPLED, cpu),
        ("throughput stock/fast", STOCK, STOCK_SAMPLED, throughput),
        ("CPU per request stock/fast", STOCK, STOCK_SAMPLED, cpu),
    ]
    for title, full, sampled, measure in rows:
        cells = [spread(paired(results, mode, measure), 3) if mode in results else "-" for mode in (full, sampled)]
        print(f"  {title:<34} {cells[0]:>24} {cells[1]:>24}")
    for mode, what in ((FAST, "fast path at 100%"), (FAST_SAMPLED, "fast path at 10%")):
        if mode in results:
            t = statistics.median(paired(results, mode, throughput))
            print(f"  telemetry by the {what} costs {100 * (1 - t):.1f}% of throughput against off (goal <= 10%)")
    for mode, sampling in ((STOCK, "100%"), (STOCK_SAMPLED, "10%")):
        if mode in results:
            t = statistics.median(paired(results, mode, throughput))
            verdict = "within" if 1 - t <= 0.03 else "more than"
            print(
                f"  the stock SDK at {sampling} costs {100 * (1 - t):.1f}% of throughput against the fast path "
                f"({verdict} 3%)"
            )
    if DEFAULT_GC in results:
        untuned = [1 / ratio for ratio in paired(results, DEFAULT_GC, throughput)]
        untuned_cpu = paired(results, DEFAULT_GC, cpu)
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
