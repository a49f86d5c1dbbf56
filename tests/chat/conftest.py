"""Chat fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chat.helpers import fake_gemini


@pytest.fixture(scope="session")
def fake_gemini_url() -> Iterator[str]:
    """A well-behaved fake Gemini, shared by the session."""
    with fake_gemini() as url:
        yield url
