"""GET /metrics: the Prometheus text format, or OpenMetrics (with exemplars) when the scraper asks for it.

With more than one worker process, set PROMETHEUS_MULTIPROC_DIR: every worker writes its samples there and a
scrape of any worker aggregates all of them, dead workers' counts included (telemetry.multiprocess), with the
CPU and memory of the whole server (telemetry.server_process). `todochat serve --workers N` empties the
directory before its workers start, so counts never leak from one run into the next.
Exemplars are a single-process feature of prometheus_client: in multiprocess mode traces are found from logs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from telemetry import metrics, multiprocess
from telemetry.conversations import ActiveConversations
from telemetry.server_process import ServerProcessCollector, server_root

log = structlog.get_logger(__name__)

METRICS_PATH = "/metrics"

_registry: CollectorRegistry | None = None
_ROUTE = Route(METRICS_PATH, lambda request: Response(), methods=["GET"])  # only its path template is read


def registry() -> CollectorRegistry:
    """The registry a scrape reads: the process's own, or one aggregating every worker's files."""
    global _registry
    if _registry is None:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            aggregate = CollectorRegistry()
            multiprocess.LockedMultiProcessCollector(aggregate, path=directory)
            root = server_root()
            if root is not None:
                aggregate.register(ServerProcessCollector(root))
            else:
                ProcessCollector(registry=aggregate)  # not under `todochat serve`: this process alone
            _registry = aggregate
        else:
            _registry = REGISTRY
    return _registry


def retire_dead_processes(directory: str) -> int:
    """Drop dead workers' gauges and keep their counts (see telemetry.multiprocess); returns how many folded."""
    folded = multiprocess.retire_dead_processes(directory)
    if folded:
        log.info("metrics_files_folded", processes=folded, directory=directory)
    return folded


def reset_multiprocess_dir() -> int:
    """Empty PROMETHEUS_MULTIPROC_DIR (when set) before the workers start; returns how many files went.

    Called by the parent process of a multi-worker server, before any worker writes: values from an earlier
    run would otherwise be added to this one's.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return 0
    return multiprocess.reset(directory)


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
        # A plain Starlette route leaves no route in the scope: without this, scrapes were counted as unmatched
        # requests, inside the user-facing SLOs, instead of under their own route template.
        request.scope.setdefault("route", _ROUTE)
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
