"""The recovery gauges, fed to the SLO engine with the packaged spec, fire the recovery objectives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.recovery.backup import run_backup
from app.recovery.drill import run_drill
from app.recovery.metrics import install_recovery_collector
from app.recovery.settings import RecoverySettings
from slo.engine import Alert, Report, evaluate, plan
from slo.load import load_spec
from slo.sources.series import Series, answer
from telemetry import conventions as c
from tests.recovery.conftest import add_user_with_tasks

pytestmark = pytest.mark.postgres


def engine_report(settings: RecoverySettings, at: float) -> Report:
    """Scrape the recovery gauges as the app's /metrics would, and evaluate the default spec on them at `at`."""
    registry = CollectorRegistry()
    install_recovery_collector(settings.backup_dir, registry=registry)
    series = [
        Series.of(sample.name, sample.labels, [(at, sample.value)])
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    ]
    spec = load_spec()
    return evaluate(spec, answer(plan(spec, at), series, at), at)


def alert(report: Report, slo: str, tier: str, kind: str) -> Alert:
    return next(a for a in report.alerts if a.slo == slo and a.tier == tier and a.kind == kind)


async def test_a_stale_backup_makes_the_critical_rpo_objective_fire_and_nothing_else(
    recovery_settings: RecoverySettings, source_url: str
) -> None:
    await add_user_with_tasks(source_url, ["written a while ago"], created_at=datetime.now(UTC) - timedelta(minutes=10))
    await run_backup(recovery_settings)
    drill = await run_drill(recovery_settings)

    report = engine_report(recovery_settings, datetime.now(UTC).timestamp())

    assert drill.verified
    assert drill.outcome == "fail"
    assert alert(report, "data-loss-window", "critical", "objective").firing
    assert not alert(report, "data-loss-window", "high", "objective").firing
    assert not alert(report, "restore-time", "critical", "objective").firing
    assert not alert(report, "restore-time", "high", "failed").firing  # the data came back intact
    assert not alert(report, "backup-age", "high", "objective").firing


async def test_fresh_evidence_fires_nothing_and_the_same_evidence_days_later_is_stale(
    recovery_settings: RecoverySettings, source_url: str
) -> None:
    await add_user_with_tasks(source_url, ["just now"])
    await run_backup(recovery_settings)
    drill = await run_drill(recovery_settings)
    now = datetime.now(UTC)

    fresh = engine_report(recovery_settings, now.timestamp())
    later = engine_report(recovery_settings, (now + timedelta(days=9)).timestamp())

    assert drill.outcome == "pass", drill.problems
    recovery = [a for a in fresh.alerts if a.name.startswith(("Recovery", "RestoreDrill"))]
    assert recovery
    assert not [a for a in recovery if a.firing]
    assert alert(later, "backup-age", "high", "objective").firing
    assert alert(later, "restore-time", "high", "stale").firing
    assert alert(later, "data-loss-window", "high", "stale").firing


async def test_a_corrupted_backup_makes_the_failed_drill_alert_fire(recovery_settings: RecoverySettings) -> None:
    backup = await run_backup(recovery_settings)
    path = recovery_settings.backup_dir / (backup.file or "")
    path.write_bytes(path.read_bytes()[:-10])
    await run_drill(recovery_settings)

    report = engine_report(recovery_settings, datetime.now(UTC).timestamp())

    failed = alert(report, "restore-time", "high", "failed")
    assert failed.firing
    assert failed.name == c.ALERT_RECOVERY_FAILED
