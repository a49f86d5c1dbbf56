"""The RTO and RPO a restore drill is judged against, for one tier.

The SLO spec is the one source of these numbers (its gauge objectives on the drill's RTO and RPO metrics);
explicit settings override it, and the deployment spec's figures stand in when no spec can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog

from app.recovery.settings import RecoverySettings
from app.recovery.tiers import DEFAULT_RPO_SECONDS, DEFAULT_RTO_SECONDS
from telemetry import conventions as c

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Objectives:
    """Recovery objectives in seconds, and where they came from."""

    tier: str
    rto_seconds: float
    rpo_seconds: float
    source: str


def spec_objectives(path: Path | None = None) -> tuple[dict[str, float], dict[str, float], str] | None:
    """RTO and RPO limits per tier from the SLO spec's gauge objectives, or None when there is no usable spec."""
    try:
        from slo.errors import SpecError
        from slo.load import load_spec
        from slo.model import GaugeIndicator
    except ImportError as err:  # a deployment without the SLO package still judges drills
        log.warning("recovery.slo_spec_unavailable", error=str(err))
        return None
    try:
        spec = load_spec(path)
    except (SpecError, OSError) as err:
        log.warning("recovery.slo_spec_unavailable", error=str(err))
        return None
    limits: dict[str, dict[str, float]] = {c.RESTORE_DRILL_RTO: {}, c.RESTORE_DRILL_RPO: {}}
    for slo in spec.slos:
        ind = slo.indicator
        if isinstance(ind, GaugeIndicator) and ind.value.series in limits and not ind.age:
            limits[ind.value.series].update(dict(ind.thresholds))
    return limits[c.RESTORE_DRILL_RTO], limits[c.RESTORE_DRILL_RPO], f"SLO spec {spec.source}"


def resolve_objectives(settings: RecoverySettings, tier: str | None = None) -> Objectives:
    """Settings first, then the SLO spec, then the deployment spec's numbers, for the tier."""
    tier = tier or settings.recovery_tier
    rto, rpo, source = DEFAULT_RTO_SECONDS[tier], DEFAULT_RPO_SECONDS[tier], "deployment spec defaults"
    from_spec = spec_objectives(settings.slo_spec_path)
    if from_spec is not None:
        spec_rto, spec_rpo, spec_source = from_spec
        if tier in spec_rto or tier in spec_rpo:
            rto, rpo, source = spec_rto.get(tier, rto), spec_rpo.get(tier, rpo), spec_source
    if settings.recovery_rto_seconds is not None or settings.recovery_rpo_seconds is not None:
        rto = settings.recovery_rto_seconds or rto
        rpo = settings.recovery_rpo_seconds or rpo
        source = "settings (RECOVERY_RTO_SECONDS / RECOVERY_RPO_SECONDS)"
    return Objectives(tier=tier, rto_seconds=rto, rpo_seconds=rpo, source=source)
