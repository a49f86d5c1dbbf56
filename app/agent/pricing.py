"""What a model call costs: a versioned list-price table per model, overridable by GEMINI_PRICES.

Prices are US dollars per million tokens, standard (paid) tier, text, prompts up to 200k tokens: a chat turn's
prompt is a few thousand tokens (CHAT_HISTORY_MESSAGES bounds it), so the long-context rates never apply here.
Gemini counts tokens read from its cache inside the prompt count and bills them at the cached rate; thinking
tokens are billed as output. The figure is the list price of the call, not the invoice (no free tier, no
batch or committed-use discounts, no cache storage).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PER_MILLION: Final = 1_000_000
# The table's version: the date its figures were read from Google's price list. Change it with the figures.
PRICES_VERSION: Final = "2026-03"
PRICES_SOURCE: Final = "https://ai.google.dev/gemini-api/docs/pricing (Gemini Developer API, standard paid tier)"


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens: prompt, cached prompt and output (thinking included)."""

    input: float
    output: float
    cached_input: float

    def cost(self, *, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float:
        """The list price of one call; `input_tokens` includes the `cached_tokens` (Gemini's prompt count does)."""
        cached = min(max(cached_tokens, 0), max(input_tokens, 0))
        fresh = max(input_tokens, 0) - cached
        return (fresh * self.input + cached * self.cached_input + max(output_tokens, 0) * self.output) / PER_MILLION


FREE: Final = Price(0.0, 0.0, 0.0)

# Version PRICES_VERSION of PRICES_SOURCE. Context caching costs a tenth of the input price on the 2.5 and 3
# families and a quarter on 2.0; 2.0 Flash-Lite has no caching (its cached price is the input price).
DEFAULT_PRICES: Final[Mapping[str, Price]] = {
    "gemini-3-pro-preview": Price(input=2.00, output=12.00, cached_input=0.20),
    "gemini-2.5-pro": Price(input=1.25, output=10.00, cached_input=0.125),
    "gemini-2.5-flash": Price(input=0.30, output=2.50, cached_input=0.03),
    "gemini-2.5-flash-lite": Price(input=0.10, output=0.40, cached_input=0.01),
    "gemini-2.0-flash": Price(input=0.10, output=0.40, cached_input=0.025),
    "gemini-2.0-flash-lite": Price(input=0.075, output=0.30, cached_input=0.075),
}


class _PriceDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0, alias="cachedInput")


class PricesError(ValueError):
    """GEMINI_PRICES is not a readable price table."""


def parse_prices(text: str) -> dict[str, Price]:
    """A JSON object {model: {input, output, cached_input?}} (USD per 1M tokens) as prices; a missing cached
    price is the input price.

    Raises:
        PricesError: not JSON, not an object of models, or a price missing or negative.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise PricesError(f"GEMINI_PRICES is not JSON: {err}") from err
    if not isinstance(raw, dict):
        raise PricesError('GEMINI_PRICES must be an object such as {"gemini-2.5-flash": {"input": 0.3, "output": 2.5}}')
    prices = {}
    for model, value in raw.items():
        try:
            doc = _PriceDoc.model_validate(value)
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'price'}: {e['msg']}" for e in err.errors())
            raise PricesError(f"GEMINI_PRICES[{model!r}]: {problems}") from err
        cached = doc.cached_input if doc.cached_input is not None else doc.input
        prices[model] = Price(input=doc.input, output=doc.output, cached_input=cached)
    return prices


def load_prices(value: str | None) -> dict[str, Price]:
    """The default table with GEMINI_PRICES laid over it: inline JSON, or the path of a JSON file.

    Raises:
        PricesError: the value (or the file it names) is not a price table, or the file cannot be read.
    """
    table = dict(DEFAULT_PRICES)
    if not value or not value.strip():
        return table
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as err:
            raise PricesError(f"GEMINI_PRICES: cannot read {value}: {err.strerror}") from err
    table.update(parse_prices(text))
    return table


def price_for(model: str, table: Mapping[str, Price]) -> Price | None:
    """The price of `model`: its own entry, else the longest table name it starts with (a pinned version such as
    gemini-2.5-flash-001 costs what gemini-2.5-flash does); None when the table does not know it."""
    if model in table:
        return table[model]
    known = [name for name in table if model.startswith(name + "-")]
    return table[max(known, key=len)] if known else None
