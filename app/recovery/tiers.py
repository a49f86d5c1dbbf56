"""Recovery tiers and the deployment spec's objectives for each (a leaf module: the CLI imports it at startup)."""

from __future__ import annotations

from typing import Literal

Tier = Literal["critical", "high", "medium", "low"]
TIERS: tuple[Tier, ...] = ("critical", "high", "medium", "low")

# The deployment spec's recovery objectives, used when the SLO spec does not name them.
DEFAULT_RTO_SECONDS: dict[str, float] = {"critical": 15 * 60, "high": 3600, "medium": 4 * 3600, "low": 24 * 3600}
DEFAULT_RPO_SECONDS: dict[str, float] = {"critical": 5 * 60, "high": 3600, "medium": 4 * 3600, "low": 24 * 3600}
