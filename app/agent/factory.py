"""Pick the model from the settings: Gemini when GEMINI_API_KEY is set, the offline model otherwise."""

from __future__ import annotations

from app.agent.types import ChatModel
from app.core.config import Settings


def build_model(settings: Settings) -> ChatModel:
    """The process's chat model."""
    if settings.gemini_api_key is not None:
        from app.agent.gemini import GeminiModel

        return GeminiModel(settings)
    from app.agent.offline import OfflineModel

    return OfflineModel()


async def close_model(model: ChatModel) -> None:
    """Release what the model holds (Gemini's HTTP connections)."""
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()
