"""The daily model-spend objective the engine and the generators use, built from the spec's `spend:` section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from slo.durations import parse_duration
from slo.model import Selector, Tier
from slo.spend_spec import SpendDoc
from telemetry import conventions as c

DAY_SECONDS: Final = 86400
BUDGET_ANCHOR: Final = "llm-daily-spend-over-budget"
PACE_ANCHOR: Final = "llm-spend-pace-high"


@dataclass(frozen=True, slots=True)
class SpendPace:
    """Spend over `window_seconds`, scaled to a day, above `factor` x the daily budget."""

    window_seconds: int
    factor: float
    tier: Tier
    runbook_url: str

    @property
    def per_day(self) -> float:
        """How many windows make a day (24 for an hour)."""
        return DAY_SECONDS / self.window_seconds


@dataclass(frozen=True, slots=True)
class SpendObjective:
    """At most `daily_budget` US dollars of model calls over any 24 hours."""

    name: str
    description: str
    cost: Selector  # the cost counter, every model
    daily_budget: float
    tier: Tier
    pace: SpendPace | None
    runbook_url: str
    dashboard_url: str


def build_spend(doc: SpendDoc, runbook_url: str, dashboard_url: str) -> SpendObjective:
    """The model of a validated `spend:` section (the URL templates take {anchor} and {slo})."""

    def runbook(anchor: str) -> str:
        return runbook_url.replace("{anchor}", anchor).replace("{slo}", doc.name)

    pace = None
    if doc.pace is not None:
        pace = SpendPace(parse_duration(doc.pace.window), doc.pace.factor, doc.pace.tier, runbook(PACE_ANCHOR))
    return SpendObjective(
        name=doc.name,
        description=doc.description.strip() or f"Model calls cost at most ${doc.daily_budget_usd:g} a day.",
        cost=Selector(c.LLM_COST),
        daily_budget=doc.daily_budget_usd,
        tier=doc.tier,
        pace=pace,
        runbook_url=runbook(BUDGET_ANCHOR),
        dashboard_url=dashboard_url.replace("{slo}", doc.name).replace("{anchor}", BUDGET_ANCHOR),
    )
