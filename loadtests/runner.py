"""One scenario, one headless Locust subprocess: configure it, watch its samples, stop it early on a clear breach.

Locust runs in its own process because it monkey-patches everything with gevent; the gate stays plain Python.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from loadtests.evaluate import clear_breach
from loadtests.profiles import Scenario
from loadtests.runconfig import ENV_VAR, Account, RunConfig
from loadtests.samples import Recording, SampleTail
from loadtests.services import ROOT
from slo.model import Spec

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
START_SLACK_SECONDS = 30.0  # Locust start-up, and users finishing their last request
STOP_GRACE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Artifacts:
    """Where Locust left its reports for one scenario."""

    html: Path
    csv_prefix: Path
    json: Path
    samples: Path
    log: Path


@dataclass(frozen=True, slots=True)
class RunOutcome:
    recording: Recording
    aborted: str | None
    returncode: int | None
    artifacts: Artifacts


def artifacts_for(directory: Path, scenario: Scenario) -> Artifacts:
    base = directory / scenario.name
    return Artifacts(
        html=base.with_name(f"{scenario.name}.html"),
        csv_prefix=base,
        json=base.with_name(f"{scenario.name}.json"),
        samples=base.with_name(f"{scenario.name}.samples.jsonl"),
        log=directory / "logs" / f"locust-{scenario.name}.log",
    )


def locust_argv(scenario: Scenario, host: str, files: Artifacts) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--csv",
        str(files.csv_prefix),
        "--csv-full-history",
        "--html",
        str(files.html),
        "--json-file",
        str(files.json.with_suffix("")),
        "--stop-timeout",
        "5",
        "--exit-code-on-error",
        "0",  # failed requests are the gate's to judge
    ]
    if scenario.processes:
        argv += ["--processes", str(scenario.processes)]
    return argv


def run_scenario(
    scenario: Scenario,
    *,
    host: str,
    accounts: list[Account],
    directory: Path,
    spec: Spec,
    window_scale: float,
    abort_early: bool,
) -> RunOutcome:
    """Run Locust headless for the scenario's phases; stop it early when `clear_breach` says so."""
    files = artifacts_for(directory, scenario)
    stop_path = directory / f"{scenario.name}.stop"
    for path in (files.samples, stop_path, files.html, files.json):
        path.unlink(missing_ok=True)
    files.log.parent.mkdir(parents=True, exist_ok=True)
    config_path = directory / f"{scenario.name}.run.json"
    RunConfig(
        phases=[(p.label, p.users, p.seconds, p.spawn_rate) for p in scenario.phases],
        mix=scenario.mix,
        wait_scale=scenario.wait_scale,
        accounts=accounts,
        samples_path=str(files.samples),
        stop_path=str(stop_path),
    ).write(config_path)
    env = dict(os.environ)
    env[ENV_VAR] = str(config_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Workers report every 3 s, so their newest seconds are incomplete for a while.
    lag = 5.0 if scenario.processes else 2.0
    tail = SampleTail(files.samples)
    aborted: str | None = None
    deadline = time.monotonic() + scenario.seconds + START_SLACK_SECONDS
    with files.log.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - Locust from this interpreter, no shell
            locust_argv(scenario, host, files),
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its --processes workers form one group, ended together below
        )
        try:
            while process.poll() is None:
                time.sleep(1.0)
                if aborted is None and abort_early:
                    reason = clear_breach(
                        tail.poll(), scenario, spec, window_scale=window_scale, until=time.time() - lag
                    )
                    if reason is not None:
                        aborted = reason
                        stop_path.touch()
                if time.monotonic() > deadline and not stop_path.exists():
                    aborted = aborted or "the run overran its schedule"
                    stop_path.touch()
                if time.monotonic() > deadline + STOP_GRACE_SECONDS:
                    _signal_group(process, signal.SIGTERM)
                    process.wait(15)
        finally:
            if process.poll() is None:
                _signal_group(process, signal.SIGKILL)
                process.wait(5)
    return RunOutcome(tail.poll(), aborted, process.returncode, files)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
