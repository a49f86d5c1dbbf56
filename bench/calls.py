"""What telemetry costs, counted in Python calls and bytecodes: GET /api/v1/tasks driven in-process, traced.

The same application, database and telemetry as `bench.instructions`, driven the same way through its ASGI
interface; instead of callgrind, `sys.settrace` counts every Python call (a new frame, not a coroutine resumed)
and every bytecode executed, by function, over the measured requests. The counts are exact and the same on
every run, and they say where: the functions telemetry adds calls and bytecodes to. A call costs the
interpreter far more than a bytecode, and telemetry's extra CPU per request has followed its extra calls more
closely than its bytecodes. The spans queued are sent inside the measurement (the batch is sent from the
measuring thread), so encoding and posting them count too; BENCH_REQUESTS is kept under the export batch size
so that no batch leaves from the exporter's own, untraced thread.

Run: make bench-telemetry-calls
  BENCH_REQUESTS (100, at most 250), BENCH_DATABASES ("sqlite,postgresql").
"""

from __future__ import annotations

import asyncio
import collections
import dis
import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from bench.instructions import CALLERS, WARM_UP, flush, off_and_on, seeded, serve
from bench.servers import ROOT, stop_on_sigterm
from bench.telemetry_bench import PATH, TASKS

_RESUMABLE = 0x20 | 0x80 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR
SHOWN = 15


class Counts:
    """Calls and bytecodes per code object, from a trace function."""

    def __init__(self) -> None:
        self.calls: collections.Counter[CodeType] = collections.Counter()
        self.bytecodes: collections.Counter[CodeType] = collections.Counter()

    def trace(self, frame: FrameType, event: str, _arg: object) -> Any:
        if event == "call":
            code = frame.f_code
            # A generator or coroutine resumed is not a new call: it starts at its first RESUME, and resumes
            # at the ones after its yields and awaits.
            if not code.co_flags & _RESUMABLE or frame.f_lasti == _first_resume(code):
                self.calls[code] += 1
            frame.f_trace_opcodes = True
            return self.local
        return None

    def local(self, frame: FrameType, event: str, _arg: object) -> Any:
        if event == "opcode":
            self.bytecodes[frame.f_code] += 1
        return self.local

    def by_function(self, requests: int) -> dict[str, dict[str, float]]:
        found: dict[str, dict[str, float]] = collections.defaultdict(lambda: {"calls": 0.0, "bytecodes": 0.0})
        for counter, kind in ((self.calls, "calls"), (self.bytecodes, "bytecodes")):
            for code, n in counter.items():
                found[f"{_where(code.co_filename)}:{code.co_qualname}"][kind] += n / requests
        return dict(found)


@functools.cache
def _first_resume(code: CodeType) -> int:
    return next((i.offset for i in dis.get_instructions(code) if i.opname == "RESUME"), 0)


def _where(filename: str) -> str:
    for marker in ("/site-packages/", f"{ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return Path(filename).name


async def _drive(requests: int) -> dict[str, dict[str, float]]:
    from app.main import create_app

    app = create_app()
    counts = Counts()
    async with app.router.lifespan_context(app):
        auth = await seeded(app)
        await serve(app, auth, WARM_UP)
        flush()
        sys.settrace(counts.trace)
        threading.settrace(counts.trace)
        try:
            await serve(app, auth, requests)
            flush()
        finally:
            sys.settrace(None)
            threading.settrace(None)  # type: ignore[arg-type,unused-ignore]  # None switches it off
    return counts.by_function(requests)


def measure(env: dict[str, str], requests: int) -> dict[str, dict[str, float]]:
    """Calls and bytecodes per request, by function, of one mode (its environment)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counts.json"
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.calls", "--drive", str(requests), str(out)],
            cwd=ROOT,
            env={**env, "PYTHONHASHSEED": "0"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        found: dict[str, dict[str, float]] = json.loads(out.read_text())
        return found


def _total(found: dict[str, dict[str, float]], kind: str) -> float:
    return sum(f[kind] for f in found.values())


def main() -> int:
    """Count calls and bytecodes per request with telemetry off and on, on each database, and print the difference."""
    stop_on_sigterm()
    requests = int(os.environ.get("BENCH_REQUESTS", "100"))
    if not 0 < requests <= 250:
        raise SystemExit("BENCH_REQUESTS: 1 to 250 (two spans a request, under the export batch of 512)")
    started = time.monotonic()
    for backend, off, on in off_and_on(measure, requests):
        calls = (_total(off, "calls"), _total(on, "calls"))
        codes = (_total(off, "bytecodes"), _total(on, "bytecodes"))
        more_calls, more_codes = 100 * (calls[1] / calls[0] - 1), 100 * (codes[1] / codes[0] - 1)
        print(
            f"GET {PATH} ({TASKS} tasks) on {backend}, {requests} requests from {CALLERS} callers, in-process: "
            f"off {calls[0]:,.1f} Python calls and {codes[0]:,.0f} bytecodes a request, on {calls[1]:,.1f} and "
            f"{codes[1]:,.0f}: telemetry adds {calls[1] - calls[0]:,.1f} calls ({more_calls:+.1f}%) "
            f"and {codes[1] - codes[0]:,.0f} bytecodes ({more_codes:+.1f}%)",
            flush=True,
        )
        added = {
            name: (on.get(name, {}).get("calls", 0) - off.get(name, {}).get("calls", 0),
                   on.get(name, {}).get("bytecodes", 0) - off.get(name, {}).get("bytecodes", 0))
            for name in on.keys() | off.keys()
        }  # fmt: skip
        print(f"  most added, per request (calls, bytecodes), first {SHOWN}:")
        for name, (more_calls, more_codes) in sorted(added.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))[:SHOWN]:
            print(f"    {more_calls:6.1f} {more_codes:8.1f}  {name}")
    print(f"(took {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the request log lines, for the process's lifetime
        Path(sys.argv[3]).write_text(json.dumps(asyncio.run(_drive(int(sys.argv[2])))))
        raise SystemExit(0)
    raise SystemExit(main())
