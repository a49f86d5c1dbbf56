"""Records every request into per-second buckets and appends them to the samples file once a second.

Workers (`--processes` or `--worker`) ship their buckets to the master with each stats report; the master
(or the only process) writes. The recorder also obeys the gate's stop file: when it appears, the run quits
exactly as when its run time is up, so Locust still writes its reports.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

from loadtests.runconfig import RunConfig
from loadtests.samples import Bucket, Key, decode_into, encode

_DATA_KEY = "todochat_samples"
_pending: dict[Key, Bucket] = {}


@events.request.add_listener
def _on_request(
    request_type: str, name: str, response_time: float | None, exception: BaseException | None, **_: Any
) -> None:
    key = (int(time.time()), f"{request_type} {name}")
    bucket = _pending.get(key)
    if bucket is None:
        bucket = _pending[key] = Bucket()
    bucket.add(response_time or 0.0, exception is not None)


def _take() -> dict[Key, Bucket]:
    global _pending
    taken, _pending = _pending, {}
    return taken


@events.report_to_master.add_listener
def _ship(client_id: str, data: dict[str, Any]) -> None:
    data[_DATA_KEY] = encode(_take())


@events.worker_report.add_listener
def _receive(client_id: str, data: dict[str, Any]) -> None:
    decode_into(_pending, data.get(_DATA_KEY, []))


def _append(path: Path, records: list[dict[str, object]]) -> None:
    if records:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))


def _writer(environment: Environment, config: RunConfig) -> None:
    samples, stop = Path(config.samples_path), Path(config.stop_path)
    runner = environment.runner
    while True:
        gevent.sleep(1.0)
        now = int(time.time())
        records: list[dict[str, object]] = encode(_take())
        if runner is not None:
            records.append({"t": now, "users": runner.user_count})
        _append(samples, records)
        if runner is not None and stop.exists():
            runner.quit()
            return


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    config = RunConfig.from_env()
    _append(Path(config.samples_path), [{"start": time.time(), "pid": os.getpid()}])
    gevent.spawn(_writer, environment, config)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    _append(Path(RunConfig.from_env().samples_path), encode(_take()))
