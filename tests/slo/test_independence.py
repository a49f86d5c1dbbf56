"""The SLO engine, the dashboards and the load tests stand alone: none of them loads the web app."""

from __future__ import annotations

import json
import subprocess
import sys

# Every module of the three packages, except the Locust side of loadtests: it runs only in Locust's own process,
# where gevent has patched everything first.
PROBE = """
import importlib, json, pkgutil, sys
skipped = ("loadtests.locustfile", "loadtests.suites")
for name in ("slo", "dashboards", "loadtests"):
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        if not info.name.startswith(skipped):
            importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m == "app" or m.startswith("app."))))
"""


def test_importing_slo_dashboards_and_loadtests_loads_no_module_of_the_web_app() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
