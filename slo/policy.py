"""The error budget policy and the exhaustion forecast as the engine uses them: frozen, built from `policy:`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from slo.durations import format_duration, parse_duration
from slo.model import Tier
from slo.policy_spec import PolicyDoc

Action = Literal["none", "notify", "freeze_features", "freeze_all"]
ACTION_RANK: Final[dict[str, int]] = {"none": 0, "notify": 1, "freeze_features": 2, "freeze_all": 3}


@dataclass(frozen=True, slots=True)
class Condition:
    """Holds when every given part holds (budget left is a share of the budget; 0 means spent)."""

    budget_remaining_at_most: float | None = None
    burn_rate_above: float | None = None
    window_seconds: int | None = None

    @property
    def window(self) -> str | None:
        return None if self.window_seconds is None else format_duration(self.window_seconds)

    def describe(self) -> str:
        parts = []
        if self.budget_remaining_at_most is not None:
            parts.append(f"budget left at most {self.budget_remaining_at_most:.0%}")
        if self.burn_rate_above is not None:
            parts.append(f"burn rate above {self.burn_rate_above:g}x over {self.window}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class PolicyStep:
    """One step: when `condition` holds for an SLO, `action` applies to it, for `reason`."""

    name: str
    condition: Condition
    action: Action
    reason: str


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """Time to exhaustion from the burn over `window_seconds`; under `horizon_seconds` it alerts at `tier`."""

    window_seconds: int
    horizon_seconds: int
    tier: Tier
    runbook_url: str = ""  # may hold {slo}

    @property
    def window(self) -> str:
        return format_duration(self.window_seconds)

    def runbook_for(self, slo: str) -> str:
        return self.runbook_url.replace("{slo}", slo)


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """Ordered steps (the first that holds decides for an SLO) and the exhaustion forecast."""

    steps: tuple[PolicyStep, ...]
    exhaustion: Exhaustion


RUNBOOK_ANCHOR: Final = "error-budget-exhaustion-forecast"


def build_policy(doc: PolicyDoc, runbook_url: str = "alerts/RUNBOOK.md#{anchor}") -> BudgetPolicy:
    """The model of a validated `policy:` section (`runbook_url`: the spec's template, with {anchor})."""
    steps = tuple(
        PolicyStep(
            name=s.name,
            condition=Condition(
                budget_remaining_at_most=s.when.budget_remaining_at_most,
                burn_rate_above=s.when.burn_rate_above,
                window_seconds=parse_duration(s.when.window) if s.when.window is not None else None,
            ),
            action=s.action,
            reason=s.reason.strip(),
        )
        for s in doc.steps
    )
    ex = doc.exhaustion
    return BudgetPolicy(
        steps=steps,
        exhaustion=Exhaustion(
            parse_duration(ex.window),
            parse_duration(ex.horizon),
            ex.tier,
            runbook_url.replace("{anchor}", RUNBOOK_ANCHOR),
        ),
    )
