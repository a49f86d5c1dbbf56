"""Alertmanager configuration generated from the spec: routing by tier, inhibition of lower tiers, maintenance."""

from __future__ import annotations

from typing import Any

from slo.maintenance_rules import mute_intervals, time_intervals
from slo.model import TIERS, Spec
from telemetry import conventions as c

# Critical pages at once and keeps paging; high pages after a short wait; medium opens tickets; low is a daily digest.
_ROUTES = {
    "critical": ("page", "10s", "1m", "1h"),
    "high": ("page", "1m", "5m", "4h"),
    "medium": ("ticket", "5m", "30m", "24h"),
    "low": ("digest", "1h", "24h", "72h"),
}


def alertmanager_config(spec: Spec) -> dict[str, Any]:
    """The alertmanager.yml content."""
    urls = {"page": spec.receivers.page_url, "ticket": spec.receivers.ticket_url, "digest": spec.receivers.digest_url}
    routes = []
    for tier in TIERS:
        receiver, wait, interval, repeat = _ROUTES[tier]
        routes.append(
            {
                "matchers": [f'{c.LABEL_SEVERITY}="{tier}"'],
                "receiver": receiver,
                "group_wait": wait,
                "group_interval": interval,
                "repeat_interval": repeat,
            }
        )
        if muted := mute_intervals(tier):
            routes[-1]["mute_time_intervals"] = muted
    inhibit = []
    for i, higher in enumerate(TIERS[:-1]):
        lower = "|".join(TIERS[i + 1 :])
        inhibit.append(
            {
                "source_matchers": [f'{c.LABEL_SEVERITY}="{higher}"'],
                "target_matchers": [f'{c.LABEL_SEVERITY}=~"{lower}"'],
                "equal": [c.LABEL_SLO],
            }
        )
    return {
        "route": {
            "receiver": "ticket",
            "group_by": [c.LABEL_ALERTNAME, c.LABEL_SLO],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": routes,
        },
        "inhibit_rules": inhibit,
        "time_intervals": time_intervals(spec.maintenance),
        "receivers": [
            {"name": name, "webhook_configs": [{"url": url, "send_resolved": name != "digest"}]}
            for name, url in urls.items()
        ],
    }
