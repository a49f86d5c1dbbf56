"""The spec's `spend:` section: what the model may cost per day, and how fast it may spend (pydantic schema).

Spend is the list price of model calls (telemetry.conventions.LLM_COST, priced by app/agent/pricing.py). It has
no error budget: the objective is a daily ceiling, watched over the last day and, for a runaway, the last hour.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slo.durations import parse_duration

Tier = Literal["critical", "high", "medium", "low"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _shorter_than_a_day(value: str) -> str:
    if parse_duration(value) >= 86400:
        raise ValueError(f"pace window {value!r} must be shorter than the day the budget covers, e.g. 1h")
    return value


class PaceDoc(_Doc):
    """Spend over `window`, scaled to a day, above `factor` x the daily budget: a runaway, long before the day ends."""

    window: str = "1h"
    factor: Annotated[float, Field(gt=1)] = 4.0
    tier: Tier = "high"

    _window = field_validator("window")(_shorter_than_a_day)


class SpendDoc(_Doc):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = "llm-spend"
    description: str = ""
    daily_budget_usd: Annotated[float, Field(gt=0)] = Field(alias="dailyBudgetUsd")
    tier: Tier = "medium"
    pace: PaceDoc | None = PaceDoc()
