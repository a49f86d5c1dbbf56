"""A real Prometheus on 127.0.0.1 holding a backfilled history and evaluating rules, for tests that read one."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from slo.sources.prometheus import PrometheusSource
from slo.sources.series import Series
from tests.support import free_port, require_tool, stop_process


def _ts(text: str) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, Z) as Unix seconds."""
    whole = text.rstrip("Z").split(".")[0]
    return datetime.fromisoformat(whole + "+00:00").timestamp()


def openmetrics(series: list[Series]) -> str:
    """Series as one OpenMetrics text file with timestamps, one family after another, for promtool to backfill.

    A name with `_bucket` series makes its `_bucket`, `_count` and `_sum` one histogram family; `_total` names are
    counters; everything else is a gauge.
    """
    histograms = {s.name.removesuffix("_bucket") for s in series if s.name.endswith("_bucket")}
    families: dict[str, list[Series]] = {}
    for s in series:
        base = next((h for h in histograms if s.name in (f"{h}_bucket", f"{h}_count", f"{h}_sum")), s.name)
        families.setdefault(base.removesuffix("_total"), []).append(s)
    lines = []
    for family, members in families.items():
        kind = "histogram" if family in histograms else "counter" if members[0].name.endswith("_total") else "gauge"
        lines.append(f"# TYPE {family} {kind}")
        for s in members:
            labels = ",".join(f'{k}="{v}"' for k, v in s.labels)
            head = f"{s.name}{{{labels}}}" if labels else s.name
            lines += [f"{head} {value!r} {ts:.0f}" for ts, value in s.points]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def running_prometheus(
    work: Path, history: str, rules: dict[str, str], *, lookback: str = "15m", interval: str = "5s"
) -> Iterator[PrometheusSource]:
    """Prometheus with `history` (OpenMetrics with timestamps) backfilled by promtool and `rules` loaded.

    Yields once every rule group has been evaluated at least once, so recorded series and ALERTS exist.
    """
    promtool = require_tool("promtool")
    prometheus = require_tool("prometheus")
    (work / "history.om").write_text(history)
    data = work / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(work / "history.om"), str(data)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for name, text in rules.items():
        (work / name).write_text(text)
    (work / "prometheus.yml").write_text(
        f"global:\n  evaluation_interval: {interval}\nrule_files:\n" + "".join(f"  - {r}\n" for r in rules)
    )
    port = free_port()
    log_path = work / "prometheus.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=60d",
                f"--query.lookback-delta={lookback}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"prometheus did not become ready:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            source = PrometheusSource(url)
            started = time.time()
            for _ in range(240):  # bounded: until every rule group has been evaluated after start
                groups = source._get("/api/v1/rules", {})["groups"]
                if groups and all(_ts(g["lastEvaluation"]) > started for g in groups):
                    break
                time.sleep(0.5)
            else:
                pytest.fail("prometheus did not evaluate every rule group within two minutes")
            yield source
        finally:
            stop_process(proc, timeout=20)
