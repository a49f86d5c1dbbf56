"""A real Prometheus (Debian's package) on 127.0.0.1 that scrapes given targets every second with the generated
rules loaded, and small helpers to query it."""

from __future__ import annotations

import contextlib
import json
import math
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import ROOT
from telemetry import conventions as c
from tests.support import free_port, require_tool, stop_process


@dataclass
class Prometheus:
    url: str
    log: Path

    def get(self, path: str, params: dict[str, str]) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}?{urllib.parse.urlencode(params)}", timeout=15) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def vector(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query now: (labels, value) per series, NaN left out."""
        data = self.get("/api/v1/query", {"query": expr})
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        out = [(item["metric"], float(item["value"][1])) for item in data["result"]]
        return [(labels, value) for labels, value in out if not math.isnan(value)]

    def value(self, expr: str) -> float | None:
        """The one value of an instant query, or None when it has none."""
        found = self.vector(expr)
        assert len(found) <= 1, (expr, found)
        return found[0][1] if found else None

    def wait_for(self, check: Callable[[], bool], what: str, seconds: float) -> None:
        """Poll `check` (bounded) until it holds; fails naming `what` with the end of Prometheus's log."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if check():
                    return
            time.sleep(0.25)
        pytest.fail(f"{what} within {seconds:g} s; prometheus log:\n{self.log.read_text()[-2000:]}")

    def scraped_after(self, moment: float, instance: str) -> bool:
        """Whether a scrape of `instance` began after `moment` (Unix seconds)."""
        found = self.vector(f'timestamp(up{{{c.LABEL_INSTANCE}="{instance}"}})')
        return bool(found) and found[0][1] > moment


@contextlib.contextmanager
def prometheus(targets: list[str], work: Path) -> Iterator[Prometheus]:
    """Prometheus scraping `targets` (host:port) every second, evaluating the rules in alerts/ every second."""
    binary = require_tool("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted((ROOT / "alerts").glob("*.rules.yaml"))],
        "scrape_configs": [{"job_name": c.SERVICE_NAME, "static_configs": [{"targets": targets}]}],
    }
    work.mkdir(parents=True, exist_ok=True)
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    port, log_path = free_port(), work / "prometheus.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work,
        )
        try:
            server = Prometheus(f"http://127.0.0.1:{port}", log_path)
            server.wait_for(
                lambda: all(server.value(f'up{{{c.LABEL_INSTANCE}="{t}"}}') == 1.0 for t in targets),
                "no successful scrape of every target",
                30,
            )
            yield server
        finally:
            stop_process(proc, timeout=20)
