"""The PROMETHEUS_MULTIPROC_DIR directory over a server's life: counts that never go backwards across restarts.

Every worker writes its samples to files named after its pid. When a worker dies and uvicorn starts another,
the dead worker's counter and histogram files stay: they hold requests that happened, and dropping them would
make every counter fall, which Prometheus reads as a reset and re-counts as new traffic. Only its gauges go
(prometheus_client's `mark_process_dead` for the live* modes, and its other gauge files too: a dead worker's
"circuit open" or queue depth says nothing about now).

So that many restarts do not leave many files, a starting worker folds the counter and histogram files of dead
workers into one archive file per type once more than `FOLD_AFTER` dead workers have left files. The fold is
done under an exclusive lock that scrapes take shared, so no scrape sees a file both in the archive and on its
own (a double count) or in neither (a drop): every exported sum is the same before and after.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

LOCK_FILE = ".lock"
FOLD_AFTER = 4  # dead workers whose files are kept apart before a fold; a single restart costs no rewrite
ARCHIVE_PID = "archive"  # counter_archive.db: no pid, so it is never taken for a dead worker's file
FOLDED_TYPES = ("counter", "histogram", "summary")
_WORKER_FILE = re.compile(r"^(?P<type>[a-z]+)_(?:(?P<mode>[a-z]+)_)?(?P<pid>\d+)\.db$")


@contextlib.contextmanager
def _locked(directory: str, kind: int) -> Iterator[None]:
    with open(os.path.join(directory, LOCK_FILE), "a+b") as handle:
        fcntl.flock(handle, kind)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LockedMultiProcessCollector(MultiProcessCollector):
    """prometheus_client's aggregating collector, reading the directory under the shared lock a fold excludes."""

    def __init__(self, registry: Any, path: str) -> None:
        super().__init__(registry, path=path)  # type: ignore[no-untyped-call]  # untyped library
        self._directory = path

    def collect(self) -> Any:
        with _locked(self._directory, fcntl.LOCK_SH):
            return list(super().collect())  # type: ignore[no-untyped-call]  # read inside the lock


def alive(pid: int) -> bool:
    """Whether a process with this pid runs (a zombie counts: its parent has not reaped it yet)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_files(directory: str) -> dict[int, list[Path]]:
    dead: dict[int, list[Path]] = {}
    for file in Path(directory).glob("*.db"):
        match = _WORKER_FILE.match(file.name)
        if match is None:
            continue
        pid = int(match["pid"])
        if not alive(pid):
            dead.setdefault(pid, []).append(file)
    return dead


def retire_dead_processes(directory: str, *, fold_after: int = FOLD_AFTER) -> int:
    """Drop dead processes' gauges, keep their counts, and fold them once enough have gathered.

    Returns how many dead processes' counts were folded into the archive (0 when none were).
    """
    Path(directory).mkdir(parents=True, exist_ok=True)
    with _locked(directory, fcntl.LOCK_EX):
        dead = _dead_files(directory)
        for pid, files in dead.items():
            mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]  # untyped library
            for file in files:
                if file.name.startswith("gauge_"):
                    with contextlib.suppress(FileNotFoundError):
                        file.unlink()
        counting = {pid for pid, files in dead.items() if any(f.name.startswith(FOLDED_TYPES) for f in files)}
        if len(counting) <= fold_after:
            return 0
        for typ in FOLDED_TYPES:
            sources = [f for pid in counting for f in dead[pid] if f.name.startswith(f"{typ}_")]
            if sources:
                _fold(directory, typ, sources)
        return len(counting)


def _fold(directory: str, typ: str, sources: list[Path]) -> None:
    """Write archive + sources as the new archive, then remove the sources (the caller holds the lock)."""
    archive = Path(directory) / f"{typ}_{ARCHIVE_PID}.db"
    inputs = [str(p) for p in sources]
    if archive.exists():
        inputs.append(str(archive))
    # accumulate=False keeps histogram buckets per bucket, as the files hold them.
    merged = MultiProcessCollector.merge(inputs, accumulate=False)  # type: ignore[no-untyped-call]
    temporary = archive.with_suffix(".folding")  # not *.db: no scrape reads it half written
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    values = MmapedDict(str(temporary))  # type: ignore[no-untyped-call]  # untyped library
    try:
        for key, value in _keys(merged):
            values.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    finally:
        values.close()  # type: ignore[no-untyped-call]
    os.replace(temporary, archive)
    for source in sources:
        with contextlib.suppress(FileNotFoundError):
            source.unlink()


def _keys(metrics: Iterable[Any]) -> Iterator[tuple[str, float]]:
    for metric in metrics:
        for sample in metric.samples:
            names = sorted(sample.labels)  # mmap_key sorts keys too: the same key the workers wrote
            key = mmap_key(metric.name, sample.name, names, [sample.labels[n] for n in names], metric.documentation)
            yield key, float(sample.value)


def reset(directory: str) -> int:
    """Remove every sample file (a new server run starts its counts at zero); returns how many went."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    removed = 0
    with _locked(directory, fcntl.LOCK_EX):
        for file in glob.glob(os.path.join(directory, "*.db")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
                removed += 1
    return removed
