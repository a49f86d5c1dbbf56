"""SLO engine: one spec drives runtime evaluation, Prometheus rules, Alertmanager routing, dashboards and load gates.

Spec (YAML, `slo.spec`) -> model (frozen dataclasses, `slo.model`) -> pure engine (`slo.engine`) -> data.
Only `slo.sources`, `slo.cli` and the writers touch files or the network.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "specs" / "todo-chatbot.yaml"
