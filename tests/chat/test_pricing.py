"""The price table: list prices per model, cached prompt tokens at the cached rate, GEMINI_PRICES overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.agent.pricing import (
    DEFAULT_PRICES,
    FREE,
    PRICES_VERSION,
    Price,
    PricesError,
    load_prices,
    parse_prices,
    price_for,
)
from app.core.config import Settings

FLASH = Price(input=0.30, output=2.50, cached_input=0.03)


@pytest.mark.parametrize(
    ("price", "input_tokens", "output_tokens", "cached_tokens", "usd"),
    [
        pytest.param(FLASH, 1_000_000, 0, 0, 0.30, id="a million prompt tokens cost the input price"),
        pytest.param(FLASH, 0, 1_000_000, 0, 2.50, id="a million output tokens cost the output price"),
        pytest.param(FLASH, 1_000_000, 0, 1_000_000, 0.03, id="a wholly cached prompt costs the cached price"),
        pytest.param(
            FLASH,
            2000,
            150,
            1500,
            (500 * 0.30 + 1500 * 0.03 + 150 * 2.50) / 1e6,
            id="the cached part of a prompt is billed at the cached rate",
        ),
        pytest.param(
            FLASH,
            100,
            10,
            500,
            (100 * 0.03 + 10 * 2.50) / 1e6,
            id="a cached count above the prompt counts as the whole prompt",
        ),
        pytest.param(FLASH, 0, 0, 0, 0.0, id="a call without usage costs nothing"),
        pytest.param(FREE, 5000, 5000, 100, 0.0, id="the offline model costs nothing"),
    ],
)
def test_a_calls_cost_is_its_tokens_at_the_list_price(
    price: Price, input_tokens: int, output_tokens: int, cached_tokens: int, usd: float
) -> None:
    cost = price.cost(input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached_tokens)
    assert cost == pytest.approx(usd, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        pytest.param("gemini-2.5-flash", DEFAULT_PRICES["gemini-2.5-flash"], id="a listed model has its own price"),
        pytest.param(
            "gemini-2.5-flash-lite", DEFAULT_PRICES["gemini-2.5-flash-lite"], id="lite is not priced as flash"
        ),
        pytest.param(
            "gemini-2.5-flash-001", DEFAULT_PRICES["gemini-2.5-flash"], id="a pinned version costs what its model costs"
        ),
        pytest.param(
            "gemini-2.5-flash-lite-preview-06-17",
            DEFAULT_PRICES["gemini-2.5-flash-lite"],
            id="the longest listed name wins",
        ),
        pytest.param("gemini-2.5-flashy", None, id="a name merely beginning like a listed one is not priced"),
        pytest.param("some-other-model", None, id="an unknown model has no price"),
    ],
)
def test_a_model_finds_its_price_in_the_table(model: str, expected: Price | None) -> None:
    assert price_for(model, DEFAULT_PRICES) == expected


def test_the_default_table_is_versioned_and_prices_every_family_we_offer() -> None:
    assert PRICES_VERSION[:4].isdigit()
    for model in ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash"):
        price = DEFAULT_PRICES[model]
        assert 0 < price.cached_input <= price.input < price.output, model


def test_gemini_prices_overrides_a_model_and_adds_another_inline_or_from_a_file(tmp_path: Path) -> None:
    text = json.dumps(
        {"gemini-2.5-flash": {"input": 0.5, "output": 3, "cached_input": 0.05}, "my-tuned": {"input": 1, "output": 2}}
    )
    inline = load_prices(text)
    assert inline["gemini-2.5-flash"] == Price(0.5, 3.0, 0.05)
    assert inline["my-tuned"] == Price(1.0, 2.0, 1.0)  # no cached price: the prompt's
    assert inline["gemini-2.5-pro"] == DEFAULT_PRICES["gemini-2.5-pro"]  # the rest stays
    path = tmp_path / "prices.json"
    path.write_text(text)
    assert load_prices(str(path)) == inline
    assert load_prices(None) == dict(DEFAULT_PRICES)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("{not json", "not JSON", id="text that is not JSON"),
        pytest.param("[1, 2]", "must be an object", id="a list instead of an object"),
        pytest.param('{"m": {"input": -1, "output": 1}}', "GEMINI_PRICES['m']: input", id="a negative price"),
        pytest.param('{"m": {"input": 1}}', "output", id="a missing output price"),
        pytest.param('{"m": {"input": 1, "output": 1, "cache": 1}}', "cache", id="a misspelt field"),
    ],
)
def test_an_unreadable_price_table_is_refused_with_its_reason(value: str, message: str) -> None:
    with pytest.raises(PricesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_prices(value)


def test_settings_refuse_a_price_table_that_does_not_parse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GEMINI_PRICES"):
        Settings(gemini_prices='{"m": {"input": "cheap"}}')
    with pytest.raises(ValueError, match="cannot read"):
        Settings(gemini_prices=str(tmp_path / "missing.json"))
    assert Settings(gemini_prices='{"m": {"input": 1, "output": 2}}').gemini_prices is not None
