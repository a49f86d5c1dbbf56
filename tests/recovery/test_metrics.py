"""The recovery gauges a scrape of /metrics sees, read from the backup and drill records."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.recovery.backup import run_backup
from app.recovery.drill import run_drill
from app.recovery.metrics import install_recovery_collector
from app.recovery.settings import RecoverySettings
from telemetry import conventions as c


def scrape(registry: CollectorRegistry) -> dict[str, float]:
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            samples[sample.name] = sample.value
    return samples


def test_with_no_records_the_gauges_have_no_samples_so_absence_alerts_can_fire(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    install_recovery_collector(tmp_path / "nothing-yet", registry=registry)

    assert scrape(registry) == {}
    assert f"# TYPE {c.BACKUP_LAST_SUCCESS} gauge" in generate_latest(registry).decode()


def test_installing_twice_on_one_registry_registers_once(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    install_recovery_collector(tmp_path, registry=registry)
    install_recovery_collector(tmp_path, registry=registry)

    assert generate_latest(registry).decode().count(f"# TYPE {c.RESTORE_DRILL_SUCCESS} gauge") == 1


def test_a_fresh_registry_gets_the_collector_even_where_a_collected_one_lived(tmp_path: Path) -> None:
    # CPython hands a new object the address of one just freed, so the same id() comes back within a few tries.
    for _ in range(20):
        registry = CollectorRegistry()
        install_recovery_collector(tmp_path, registry=registry)
        assert f"# TYPE {c.BACKUP_LAST_SUCCESS} gauge" in generate_latest(registry).decode()
        del registry
        gc.collect()


@pytest.mark.postgres
async def test_a_scrape_reports_the_newest_backup_and_drill(recovery_settings: RecoverySettings) -> None:
    registry = CollectorRegistry()
    install_recovery_collector(recovery_settings.backup_dir, registry=registry)
    await run_backup(recovery_settings)
    backup = await run_backup(recovery_settings)
    drill = await run_drill(recovery_settings)

    samples = scrape(registry)

    assert samples[c.BACKUP_LAST_SUCCESS] == pytest.approx(backup.finished_at.timestamp())
    assert samples[c.BACKUP_SIZE] == backup.size_bytes
    assert samples[c.BACKUP_DURATION] == pytest.approx(backup.duration_seconds)
    assert samples[c.RESTORE_DRILL_LAST_RUN] == pytest.approx(drill.finished_at.timestamp())
    assert samples[c.RESTORE_DRILL_SUCCESS] == 1
    assert samples[c.RESTORE_DRILL_RTO] == pytest.approx(drill.rto_seconds)
    assert samples[c.RESTORE_DRILL_RPO] == pytest.approx(drill.rpo_seconds)
