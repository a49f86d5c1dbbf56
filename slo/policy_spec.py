"""The spec's `policy:` section: the error budget policy and the time-to-exhaustion forecast (pydantic schema).

Modelled on google/slo-generator's error budget policies: ordered steps, each a condition on the budget left and/or
the burn rate over a window, with an action and the reason people read when it applies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from slo.durations import format_duration, parse_duration
from slo.model import ALERT_WINDOWS

ACTIONS = ("notify", "freeze_features", "freeze_all")
_WINDOWS = tuple(format_duration(s) for s in ALERT_WINDOWS)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _alert_window(value: str) -> str:
    # Burn rates are recorded (and evaluated) for the alert windows only; another window would need its own rules.
    seconds = parse_duration(value)
    if seconds not in ALERT_WINDOWS:
        raise ValueError(f"window {value!r} has no recorded burn rate; use one of {list(_WINDOWS)}")
    return format_duration(seconds)


class ConditionDoc(_Doc):
    """Holds when every given part holds: budget left at most a share, burn rate above a factor over a window."""

    budget_remaining_at_most: Annotated[float, Field(le=1)] | None = Field(None, alias="budgetRemainingAtMost")
    burn_rate_above: Annotated[float, Field(gt=0)] | None = Field(None, alias="burnRateAbove")
    window: str | None = None

    _window = field_validator("window")(lambda v: v if v is None else _alert_window(v))

    @model_validator(mode="after")
    def _parts(self) -> ConditionDoc:
        if self.budget_remaining_at_most is None and self.burn_rate_above is None:
            raise ValueError("give budgetRemainingAtMost, burnRateAbove (with a window), or both")
        if (self.burn_rate_above is None) != (self.window is None):
            raise ValueError("burnRateAbove and window go together, e.g. {burnRateAbove: 6, window: 6h}")
        return self


class StepDoc(_Doc):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    when: ConditionDoc
    action: Literal["notify", "freeze_features", "freeze_all"]
    reason: Annotated[str, Field(min_length=1)]


class ExhaustionDoc(_Doc):
    """Time to exhaustion: budget left / burn rate over `window`; alert when it is under `horizon`."""

    window: str = "6h"
    horizon: str = "72h"
    tier: Literal["critical", "high", "medium", "low"] = "medium"

    _window = field_validator("window")(_alert_window)
    _horizon = field_validator("horizon")(lambda v: (parse_duration(v), v)[1])


class PolicyDoc(_Doc):
    exhaustion: ExhaustionDoc = ExhaustionDoc()
    steps: list[StepDoc] = []

    @model_validator(mode="after")
    def _unique(self) -> PolicyDoc:
        names = [s.name for s in self.steps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"policy step names must be unique; repeated: {dupes}")
        return self
