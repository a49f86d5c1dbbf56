"""Start `todochat` commands as real subprocesses on free local ports, and stop them (by pid) afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
TODOCHAT = str(Path(sys.executable).parent / "todochat")


@dataclass
class Process:
    """A running command, its port and the file its output goes to."""

    popen: subprocess.Popen[bytes]
    port: int
    output: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def json_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (anything else is skipped)."""
        lines = []
        for raw in self.output.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    lines.append(json.loads(raw))
        return lines


def base_env(**extra: str) -> dict[str, str]:
    """The parent's environment without telemetry variables that would change what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_", "PROMETHEUS_"))}
    env.update({"APP_ENV": "test", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@contextlib.contextmanager
def running(
    args: list[str], env: dict[str, str], output: Path, *, health: str = "/health", startup_seconds: float = 30
) -> Iterator[Process]:
    """Run `todochat <args> --port <free port>` until the block ends; waits (bounded) until it answers."""
    port = free_port()
    with output.open("wb") as sink:
        popen = subprocess.Popen(
            [TODOCHAT, *args, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(popen=popen, port=port, output=output)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if popen.poll() is not None:
                raise RuntimeError(f"{args[0]} exited with {popen.returncode}:\n{output.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(process.url + health, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{args[0]} did not answer within {startup_seconds:g} s:\n{output.read_text()[-3000:]}"
                )
            time.sleep(0.1)
        yield process
    finally:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            try:
                popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=5)
