"""CPU and memory of the whole server when several workers answer scrapes in turn.

`todochat serve --workers N` marks its workers with the supervisor's pid (SERVER_PID_ENV). A scrape of any
worker then reports the supervisor plus every live child of it: CPU seconds as one counter, resident memory
as one gauge, so the figure no longer depends on which worker answered. CPU stays monotonic across a worker's
death: the kernel adds a reaped child's CPU time to its parent's cutime/cstime, which is counted here too.
Elsewhere (one process, or workers under another supervisor) it reports this process alone, as
prometheus_client's ProcessCollector does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from telemetry import conventions as c

SERVER_PID_ENV = "TODOCHAT_SERVER_PID"
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_ATTEMPTS = 3  # re-reads when a child is reaped mid-read (its time moves into the parent's between two reads)


@dataclass(frozen=True, slots=True)
class Usage:
    """One process's figures from /proc/<pid>/stat."""

    cpu_seconds: float  # user + system, this process only
    children_cpu_seconds: float  # reaped children's user + system
    rss_bytes: int
    start_ticks: int


def read_usage(pid: int) -> Usage | None:
    """The process's figures, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return Usage(
        cpu_seconds=(int(fields[11]) + int(fields[12])) / _TICKS,
        children_cpu_seconds=(int(fields[13]) + int(fields[14])) / _TICKS,
        rss_bytes=int(fields[21]) * _PAGE,
        start_ticks=int(fields[19]),
    )


def children_of(pid: int) -> list[int]:
    """Direct children of `pid` (every thread of it may have forked some)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


@dataclass(frozen=True, slots=True)
class ServerUsage:
    cpu_seconds: float
    rss_bytes: int
    start_time_seconds: float
    processes: int


def server_usage(root: int) -> ServerUsage | None:
    """The supervisor `root` and its live children, summed; None when `root` is gone."""
    after = read_usage(root)
    children: list[Usage] = []
    for _ in range(_ATTEMPTS):
        before = after
        if before is None:
            return None
        children = [u for u in map(read_usage, children_of(root)) if u is not None]
        after = read_usage(root)
        if after is None:
            return None
        if after.children_cpu_seconds == before.children_cpu_seconds:
            break  # no child was reaped while its siblings were read
    assert after is not None  # the loop returned otherwise
    cpu = after.cpu_seconds + after.children_cpu_seconds + sum(u.cpu_seconds + u.children_cpu_seconds for u in children)
    return ServerUsage(
        cpu_seconds=cpu,
        rss_bytes=after.rss_bytes + sum(u.rss_bytes for u in children),
        start_time_seconds=_boot_time() + after.start_ticks / _TICKS,
        processes=1 + len(children),
    )


class ServerProcessCollector(Collector):
    """process_cpu_seconds_total and process_resident_memory_bytes of the whole server (see the module)."""

    def __init__(self, root: int) -> None:
        self.root = root

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        usage = server_usage(self.root)
        if usage is None:
            return
        yield CounterMetricFamily(
            c.PROCESS_CPU.removesuffix("_total"),
            "Total user and system CPU time of the server's processes in seconds.",
            value=usage.cpu_seconds,
        )
        yield GaugeMetricFamily(
            c.PROCESS_RESIDENT_MEMORY, "Resident memory of the server's processes in bytes.", value=usage.rss_bytes
        )
        yield GaugeMetricFamily(
            c.PROCESS_START_TIME, "Start time of the server's supervisor since unix epoch.", usage.start_time_seconds
        )
        yield GaugeMetricFamily(
            c.SERVER_PROCESSES, "Processes counted in the server's CPU and memory.", value=usage.processes
        )


def server_root() -> int | None:
    """The supervisor's pid when this process is one of `todochat serve --workers N`'s workers."""
    text = os.environ.get(SERVER_PID_ENV, "")
    if text.isdigit() and int(text) == os.getppid():
        return int(text)
    return None
