"""The SLO state of this process: evaluated against its own prometheus_client registry on demand.

The monitor keeps a bounded history of the sums the spec selects, so burn rates over short windows are exact and
longer windows cover the process's lifetime; its collector exports the SLO gauges on /metrics at scrape time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from slo.engine import Report, evaluate, plan
from slo.load import load_spec
from slo.model import Spec
from slo.policy import ACTION_RANK
from slo.sources.registry import History, registry_series
from telemetry import conventions as c

_local = threading.local()
REPORT_EVERY_SECONDS = 5.0  # the history behind it samples once a minute; burn windows start at 5 minutes


class SLOMonitor:
    """Evaluates the spec against this process's registry on demand."""

    def __init__(
        self,
        spec: Spec,
        registry: CollectorRegistry = REGISTRY,
        *,
        clock: Callable[[], float] = time.time,
        resolution: float = 60.0,
    ) -> None:
        self.spec = spec
        self.registry = registry
        self.history = History(self._series, resolution=resolution, clock=clock)
        self.clock = clock

    def _series(self, at: float) -> list[Any]:
        _local.collecting = True  # our own gauges are read from this registry too: skip them while sampling
        try:
            return registry_series(self.registry, at)
        finally:
            _local.collecting = False

    def report(self, now: float | None = None) -> Report:
        """Evaluate every SLO now."""
        now = self.clock() if now is None else now
        return evaluate(self.spec, self.history.observe(plan(self.spec, now), now), now)


class SLOStateCollector(Collector):
    """Error budget remaining, SLI and burn rate per window for each SLO, evaluated at scrape time."""

    def __init__(self, monitor: SLOMonitor) -> None:
        self.monitor = monitor
        self._report: Report | None = None
        self._evaluated_at = 0.0

    def describe(self) -> Iterable[Metric]:
        return []  # evaluated only when scraped, never at registration

    def collect(self) -> Iterable[Metric]:
        if getattr(_local, "collecting", False):
            return []
        # One evaluation serves the scrapes of REPORT_EVERY_SECONDS: it reads every series of the registry, and at
        # one scrape a second it took most of a busy process's time.
        now = self.monitor.clock()
        report = self._report
        if report is None or not 0.0 <= now - self._evaluated_at < REPORT_EVERY_SECONDS:
            report = self._report = self.monitor.report(now)
            self._evaluated_at = now
        budget = GaugeMetricFamily(
            c.SLO_ERROR_BUDGET_REMAINING, "Share of the SLO period's error budget left.", labels=[c.LABEL_SLO]
        )
        sli = GaugeMetricFamily(c.SLO_SLI, "Share of good events over the SLO period.", labels=[c.LABEL_SLO])
        burn = GaugeMetricFamily(
            c.SLO_BURN_RATE, "Error budget burn rate per window.", labels=[c.LABEL_SLO, c.LABEL_WINDOW]
        )
        exhaustion = GaugeMetricFamily(
            c.SLO_EXHAUSTION,
            "Seconds until the error budget is spent at the policy window's burn rate (0: spent).",
            labels=[c.LABEL_SLO],
        )
        for result in report.slos:
            if result.error_budget_remaining is not None:
                budget.add_metric([result.slo], result.error_budget_remaining)
            if result.sli is not None:
                sli.add_metric([result.slo], result.sli)
            for w in result.windows:
                if w.burn_rate is not None:
                    burn.add_metric([result.slo, w.window], w.burn_rate)
            if result.time_to_exhaustion is not None:
                exhaustion.add_metric([result.slo], result.time_to_exhaustion)
        return [budget, sli, burn, exhaustion, *policy_metrics(report)]


def policy_metrics(report: Report) -> list[Metric]:
    """The budget policy's action per SLO (0 none .. 3 freeze_all), labelled with the step that decided it."""
    if report.policy is None:
        return []
    action = GaugeMetricFamily(
        c.SLO_POLICY_ACTION,
        "Error budget policy action per SLO: 0 none, 1 notify, 2 freeze_features, 3 freeze_all.",
        labels=[c.LABEL_SLO, c.LABEL_STEP, c.LABEL_ACTION],
    )
    for d in report.policy.slos:
        action.add_metric([d.slo, d.step or "", d.action], ACTION_RANK[d.action])
    return [action]


_monitor_lock = threading.Lock()
_monitor: SLOMonitor | None = None


def get_monitor(spec_path: Path | None = None) -> SLOMonitor:
    """The process's monitor, created (and its collector registered) on first use."""
    global _monitor
    with _monitor_lock:
        if _monitor is None:
            _monitor = SLOMonitor(load_spec(spec_path))
            REGISTRY.register(SLOStateCollector(_monitor))
        return _monitor
