"""Grafana dashboards as code, generated from the SLO spec and the metric conventions.

Builders (`dashboards.boards`) turn the spec into dashboard data with grafana-foundation-sdk; only
`dashboards.render.write_files` and the CLI touch files. Metric names come from `telemetry.conventions`,
recording-rule names and thresholds from `slo`, so a renamed metric or a new SLO changes the dashboards too.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DASHBOARDS_SUBDIR = "grafana"  # generated dashboard JSON, one file per dashboard
PROVISIONING_SUBDIR = "provisioning"  # Grafana provisioning: datasources and the dashboard provider
