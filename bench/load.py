"""Load generators for the telemetry benchmark: wrk when installed, else a small httpx client in its own process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from bench.servers import pinned


@dataclass(frozen=True)
class Load:
    """What one load run saw from the client side."""

    requests: int
    seconds: float
    p99_ms: float
    errors: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def wrk_latency_ms(text: str) -> float:
    """wrk's latency notation (`812.00us`, `3.25ms`, `1.02s`) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"cannot read wrk latency {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> Load:
    """The request count, duration, P99 and error count from wrk's `--latency` report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    if done is None or p99 is None:
        raise ValueError(f"cannot read wrk's report:\n{out}")
    seconds = wrk_latency_ms(done.group(2) + done.group(3)) / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Load(requests=int(done.group(1)), seconds=seconds, p99_ms=wrk_latency_ms(p99.group(1)), errors=errors)


def wrk(url: str, token: str, seconds: float, connections: int, cpu: int | None) -> Load:
    """One wrk run (one thread) against `url`."""
    command = [
        shutil.which("wrk") or "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
        "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603 - wrk with fixed arguments
        pinned(command, cpu), capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return parse_wrk(result.stdout)


_HTTPX_LOAD = """
import asyncio, json, sys, time
import httpx
url, token, seconds, conns = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
lat, errors = [], 0
async def worker(client, end):
    global errors
    while time.monotonic() < end:
        t = time.perf_counter()
        r = await client.get(url, headers={"Authorization": "Bearer " + token})
        lat.append(time.perf_counter() - t)
        errors += r.status_code != 200
async def main():
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=conns), timeout=30) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client, started + seconds) for _ in range(conns)))
        return time.monotonic() - started
elapsed = asyncio.run(main())
lat.sort()
print(json.dumps([len(lat), elapsed, lat[max(0, int(len(lat) * 0.99) - 1)] * 1000, errors]))
"""


def httpx_load(url: str, token: str, seconds: float, connections: int, cpu: int | None) -> Load:
    """Fallback load generator, in its own process so it does not share an interpreter with anything measured."""
    command = [sys.executable, "-c", _HTTPX_LOAD, url, token, str(seconds), str(connections)]
    out = subprocess.run(  # noqa: S603 - our own interpreter
        pinned(command, cpu), capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    requests, elapsed, p99, errors = json.loads(out)
    return Load(requests=requests, seconds=elapsed, p99_ms=p99, errors=errors)
