"""The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`) as a source."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from slo import promql
from slo.engine.queries import Observations, Query
from slo.errors import SourceError

Vector = list[tuple[dict[str, str], float]]


class PrometheusSource:
    """Answers engine queries with instant queries against one Prometheus server."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str]) -> Any:
        full = f"{self.url}{path}?{urllib.parse.urlencode(params)}" if params else f"{self.url}{path}"
        if not full.startswith(("http://", "https://")):
            raise SourceError(f"Prometheus URL must start with http:// or https://, not {self.url!r}")
        try:
            with urllib.request.urlopen(full, timeout=self.timeout) as response:  # noqa: S310  # scheme checked above
                body = json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")[:300]
            raise SourceError(f"Prometheus at {self.url} answered {err.code} for {params}: {detail}") from err
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise SourceError(f"cannot reach Prometheus at {self.url}: {err}") from err
        if body.get("status") != "success":
            raise SourceError(f"Prometheus query failed: {body.get('error', body)}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> Vector:
        """An instant query; each result's labels and value (NaN results are left out)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        out = []
        for item in data["result"]:
            value = float(item["value"][1])
            if not math.isnan(value):
                out.append((item["metric"], value))
        return out

    def query_range(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """A range query: each series' labels and (time, value) points."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data = self._get("/api/v1/query_range", params)
        return [(item["metric"], [(float(t), float(v)) for t, v in item["values"]]) for item in data["result"]]

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts Prometheus holds now (pending and firing)."""
        data = self._get("/api/v1/alerts", {})
        alerts: list[dict[str, Any]] = data["alerts"]
        return alerts

    def answer(self, queries: Iterable[Query], now: float) -> Observations:
        """Answer each engine query at `now`."""
        out: dict[Query, dict[str, float]] = {}
        for q in queries:
            groups: dict[str, float] = {}
            for labels, value in self.query(promql.for_query(q), now):
                groups[labels.get(q.by, "") if q.by else ""] = value
            out[q] = groups
        return out
