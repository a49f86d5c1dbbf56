"""Recovery metrics, read from the newest backup and drill records: for /metrics and for a node-exporter textfile.

The records are the source of truth, so the running app, the textfile written after each backup or drill,
and the SLO engine all report the same numbers, and a restarted process loses nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, write_to_textfile
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.recovery.records import load_backups, load_drills
from telemetry import conventions as c


class RecoveryCollector(Collector):
    """Gauges for the last successful backup and the last restore drill, read at each scrape."""

    def __init__(self, backup_dir: Path) -> None:
        self.backup_dir = backup_dir

    def collect(self) -> Iterable[Metric]:
        """One family per metric; a family has no sample until there is a record to report."""
        last_success = GaugeMetricFamily(c.BACKUP_LAST_SUCCESS, "Unix time the last successful backup finished.")
        duration = GaugeMetricFamily(c.BACKUP_DURATION, "Duration of the last successful backup.")
        size = GaugeMetricFamily(c.BACKUP_SIZE, "Size of the last successful backup file as stored.")
        drill_run = GaugeMetricFamily(c.RESTORE_DRILL_LAST_RUN, "Unix time the last restore drill finished.")
        drill_ok = GaugeMetricFamily(
            c.RESTORE_DRILL_SUCCESS, "1 if the last restore drill restored the backup and verified it, else 0."
        )
        rto = GaugeMetricFamily(c.RESTORE_DRILL_RTO, "Restore time measured by the last restore drill.")
        rpo = GaugeMetricFamily(c.RESTORE_DRILL_RPO, "Data-loss window measured by the last restore drill.")

        successes = [r for r in load_backups(self.backup_dir) if r.outcome == "success"]
        if successes:
            newest = successes[-1]
            last_success.add_metric([], newest.finished_at.timestamp())
            duration.add_metric([], newest.duration_seconds)
            size.add_metric([], float(newest.size_bytes or 0))
        drills = load_drills(self.backup_dir)
        if drills:
            drill = drills[-1]
            drill_run.add_metric([], drill.finished_at.timestamp())
            # Whether RTO/RPO met their objectives is judged from the two gauges below (by the SLO rules, per
            # tier); this says whether the data came back intact, so one breach raises one alert.
            drill_ok.add_metric([], 1.0 if drill.restored and drill.verified else 0.0)
            if drill.rto_seconds is not None:
                rto.add_metric([], drill.rto_seconds)
            if drill.rpo_seconds is not None:
                rpo.add_metric([], drill.rpo_seconds)
        return [last_success, duration, size, drill_run, drill_ok, rto, rpo]


def write_textfile(backup_dir: Path, path: Path) -> None:
    """Write the recovery gauges for node-exporter's textfile collector (atomically: it may read at any time)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(RecoveryCollector(backup_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)


# Held weakly, not by id(): a freed registry's id is soon another's, which then got no collector.
_installed: weakref.WeakSet[CollectorRegistry] = weakref.WeakSet()


def install_recovery_collector(backup_dir: Path | None = None, registry: CollectorRegistry = REGISTRY) -> None:
    """Expose the recovery gauges on `registry` (the app's /metrics); calling it again does nothing."""
    if registry in _installed:
        return
    if backup_dir is None:
        from app.recovery.settings import get_recovery_settings

        backup_dir = get_recovery_settings().backup_dir
    registry.register(RecoveryCollector(backup_dir))
    _installed.add(registry)
