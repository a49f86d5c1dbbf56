"""The datasources the dashboards query, and the Grafana provisioning documents that create them.

Exemplars on latency histograms carry the request's trace id under `trace_id`; the Prometheus datasource
turns that label into a link that opens the trace in the traces datasource (Tempo).
"""

from __future__ import annotations

from typing import Any, Final

from grafana_foundation_sdk.models.dashboard import DataSourceRef

from dashboards.promql import EXEMPLAR_TRACE_ID

PROMETHEUS_UID: Final = "prometheus"
TRACES_UID: Final = "tempo"
PROMETHEUS_URL: Final = "http://prometheus:9090"
TEMPO_URL: Final = "http://tempo:3200"
SCRAPE_INTERVAL: Final = "15s"
FOLDER: Final = "Todo AI Chatbot"
# Where Grafana finds the dashboard JSON (deploy/compose.yaml mounts dashboards/ here).
DASHBOARDS_PATH: Final = "/etc/grafana/dashboards/todochat"

PROMETHEUS_REF: Final = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)


def datasources_document() -> dict[str, Any]:
    """Grafana datasource provisioning: Prometheus (default, exemplars linked to traces) and Tempo."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": PROMETHEUS_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": PROMETHEUS_URL,
                "isDefault": True,
                "jsonData": {
                    "timeInterval": SCRAPE_INTERVAL,
                    "httpMethod": "POST",
                    "exemplarTraceIdDestinations": [{"name": EXEMPLAR_TRACE_ID, "datasourceUid": TRACES_UID}],
                },
            },
            {
                "name": "Tempo",
                "uid": TRACES_UID,
                "type": "tempo",
                "access": "proxy",
                "url": TEMPO_URL,
                "jsonData": {
                    "serviceMap": {"datasourceUid": PROMETHEUS_UID},
                    "nodeGraph": {"enabled": True},
                    "search": {"hide": False},
                },
            },
        ],
    }


def provider_document() -> dict[str, Any]:
    """Grafana dashboard provisioning: load every generated dashboard, read-only, into one folder."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "todochat",
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }
