"""Small builders for engine tests: specs from YAML snippets and synthetic counter series."""

from __future__ import annotations

from slo.load import spec_from_text
from slo.model import Spec
from slo.sources.series import Series

STEP = 60.0


def ratio_spec(target: float = 0.99, min_events: int = 100, window: str = "30d", extra: str = "") -> Spec:
    """One ratio SLO on HTTP 5xx responses."""
    return spec_from_text(
        f"""
apiVersion: slo.todochat/v1
kind: ServiceLevelObjectives
service: test
slos:
  - name: availability
    target: {target}
    window: {window}
    minEvents: {min_events}
    indicator:
      ratio:
        metric: http_server_request_duration_seconds
        bad: {{http_status_class: 5xx}}
{extra}
"""
    )


def counters(now: float, per_minute: list[tuple[float, float]]) -> list[Series]:
    """Good and bad HTTP counters from (total, bad) per minute, the last minute ending at `now`."""
    start = now - STEP * len(per_minute)
    good, bad = [(start, 0.0)], [(start, 0.0)]
    g = b = 0.0
    for i, (total, errors) in enumerate(per_minute, 1):
        g += total - errors
        b += errors
        good.append((start + i * STEP, g))
        bad.append((start + i * STEP, b))
    name = "http_server_request_duration_seconds_count"
    return [
        Series.of(name, {"http_status_class": "2xx"}, good),
        Series.of(name, {"http_status_class": "5xx"}, bad),
    ]


def steady(minutes: int, total: float, bad: float) -> list[tuple[float, float]]:
    return [(total, bad)] * minutes
