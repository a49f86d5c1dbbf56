"""Serving processes settle the garbage collector once start-up is done (app.core.collector, GC_YOUNG_THRESHOLD)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.core.config import Settings
from app.mcp.app import create_mcp_app
from tests.api.helpers import running_app

DEFAULT_THRESHOLD = (700, 10, 10)  # CPython's


@pytest.fixture
def default_collector() -> Iterator[None]:
    """CPython's default thresholds and nothing frozen while the test runs; the thresholds come back after."""
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@pytest.mark.usefixtures("default_collector")
async def test_the_api_freezes_start_up_and_raises_the_young_threshold(settings: Settings) -> None:
    assert settings.gc_young_threshold == 20_000
    assert gc.get_freeze_count() == 0
    async with running_app(settings):
        assert gc.get_threshold() == (20_000, *DEFAULT_THRESHOLD[1:])
        assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("default_collector")
@pytest.mark.parametrize("young", [700, 0, 50_000])
async def test_the_standalone_mcp_server_takes_the_threshold_from_its_settings(settings: Settings, young: int) -> None:
    app = create_mcp_app(settings.model_copy(update={"gc_young_threshold": young}))
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == (young, *DEFAULT_THRESHOLD[1:])
        assert gc.get_freeze_count() > 0


def test_a_negative_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="gc_young_threshold"):
        Settings(gc_young_threshold=-1)
