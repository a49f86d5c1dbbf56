"""The function-calling contract every model speaks: contents in, text and function calls out.

Shaped after Gemini's REST contents so the Gemini adapter and the fake Gemini server translate one to one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.agent.pricing import Price
from app.core.errors import LLMUnavailable

Role = Literal["user", "model"]


@dataclass(frozen=True, slots=True)
class FunctionCall:
    name: str
    args: dict[str, Any]
    id: str | None = None
    # Opaque token some Gemini models attach to a call; it must be sent back unchanged with the history.
    signature: bytes | None = None


@dataclass(frozen=True, slots=True)
class FunctionResponse:
    name: str
    response: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    text: str | None = None
    call: FunctionCall | None = None
    response: FunctionResponse | None = None


@dataclass(slots=True)
class Content:
    role: Role
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if p.text)

    @property
    def calls(self) -> list[FunctionCall]:
        return [p.call for p in self.parts if p.call is not None]

    @property
    def responses(self) -> list[FunctionResponse]:
        return [p.response for p in self.parts if p.response is not None]


def user_text(text: str) -> Content:
    return Content(role="user", parts=[Part(text=text)])


def model_text(text: str) -> Content:
    return Content(role="model", parts=[Part(text=text)])


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: name, one-line description, JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(slots=True)
class ModelRequest:
    system: str
    contents: list[Content]
    tools: list[ToolSpec]


@dataclass(slots=True)
class ModelChunk:
    """A piece of a model answer; a whole answer is one chunk with everything filled in."""

    text: str = ""
    calls: list[FunctionCall] = field(default_factory=list)
    finish_reason: str | None = None
    input_tokens: int | None = None  # the whole prompt, cached part included
    output_tokens: int | None = None  # thinking included
    cached_tokens: int | None = None  # prompt tokens read from the provider's cache
    response_model: str | None = None


class ChatModel(Protocol):
    """A model that answers a conversation with text or function calls."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def price(self) -> Price | None:
        """What its tokens cost; None when the price table does not know the model."""
        ...

    async def generate(self, request: ModelRequest) -> ModelChunk:
        """The whole answer at once."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelChunk]:
        """The answer as it is produced; the last chunk carries finish reason and usage."""
        ...


class ModelUnavailable(LLMUnavailable):
    """The model could not answer (after retries); `error_type` is a short bounded name for telemetry."""

    def __init__(self, message: str, *, error_type: str, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.error_type = error_type
