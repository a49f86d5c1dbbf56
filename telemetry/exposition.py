"""GET /metrics: the Prometheus text format, or OpenMetrics (with exemplars) when the scraper asks for it.

With more than one worker process, set PROMETHEUS_MULTIPROC_DIR: every worker writes its samples there and a
scrape of any worker aggregates all of them. Files left by processes that are gone (an earlier run, a
restarted worker) are removed when a worker starts, and `todochat serve --workers N` empties the directory
before its workers start, so counts never leak from one run into the next.
Exemplars are a single-process feature of prometheus_client: in multiprocess mode traces are found from logs.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import Response

from telemetry import metrics
from telemetry.conversations import ActiveConversations

log = structlog.get_logger(__name__)

METRICS_PATH = "/metrics"
_PID_IN_NAME = re.compile(r"_(\d+)\.db$")

_registry: CollectorRegistry | None = None


def registry() -> CollectorRegistry:
    """The registry a scrape reads: the process's own, or one aggregating every worker's files."""
    global _registry
    if _registry is None:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            aggregate = CollectorRegistry()
            MultiProcessCollector(aggregate, path=directory)  # type: ignore[no-untyped-call]  # untyped library
            ProcessCollector(registry=aggregate)  # the scraped worker's own CPU and memory
            _registry = aggregate
        else:
            _registry = REGISTRY
    return _registry


def remove_stale_files(directory: str) -> int:
    """Delete the sample files of processes that no longer run; returns how many files went."""
    removed = 0
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        match = _PID_IN_NAME.search(file.name)
        if match is None or _alive(int(match.group(1))):
            continue
        pid = int(match.group(1))
        mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]  # untyped library
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            removed += 1
    return removed


def reset_multiprocess_dir() -> int:
    """Empty PROMETHEUS_MULTIPROC_DIR (when set) before the workers start; returns how many files went.

    Called by the parent process of a multi-worker server, before any worker writes: values from an earlier
    run would otherwise be added to this one's.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return 0
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    removed = 0
    for file in path.glob("*.db"):
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def memory_limit_bytes() -> int | None:
    """The cgroup memory limit when there is one, else the host's physical memory."""
    for candidate in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):
            text = Path(candidate).read_text().strip()
            if text != "max" and int(text) < 1 << 60:
                return int(text)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


class MetricsEndpoint:
    """The /metrics route: refreshes scrape-time gauges, then encodes what the Accept header asks for."""

    def __init__(self) -> None:
        self.conversations = ActiveConversations()

    async def handle(self, request: Request) -> Response:
        """Answer one scrape."""
        runtime = getattr(request.app.state, "runtime", None)
        engine = getattr(runtime, "engine", None)
        if engine is not None:
            await self.conversations.refresh(engine)
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry()), headers={"Content-Type": content_type})


def set_process_gauges() -> None:
    """Record the values that are fixed for the life of the process."""
    limit = memory_limit_bytes()
    if limit is not None:
        metrics.process_memory_limit.set(limit)
