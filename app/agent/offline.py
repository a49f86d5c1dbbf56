"""The offline model: deterministic, no network, same function-calling contract as Gemini.

Each answer is a pure function of the conversation so far (app.agent.understanding reads it): the latest
person's message decides the goals, and the function responses since then decide the next step (call a tool,
ask, or reply).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from app.agent.pricing import FREE
from app.agent.types import FunctionCall, ModelChunk, ModelRequest
from app.agent.understanding import plan
from app.agent.understanding.context import read_turn
from telemetry.conventions import PROVIDER_OFFLINE

OFFLINE_MODEL = "todochat-offline-1"
# The OpenTelemetry GenAI conventions' finish reasons: a round that hands over to tools did not simply stop.
FINISH_TOOL_CALL = "tool_call"
FINISH_STOP = "stop"


def answer(request: ModelRequest) -> ModelChunk:
    """The next step for this conversation: a tool call, a question, or the reply."""
    turn = read_turn(request)
    step = plan.answer(turn)
    if isinstance(step, plan.Call):
        call = FunctionCall(name=step.name, args=step.args, id=f"call_{len(turn.responses)}_{step.name}")
        return ModelChunk(calls=[call], finish_reason=FINISH_TOOL_CALL)
    return ModelChunk(text=step.text, finish_reason=FINISH_STOP)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _usage(request: ModelRequest, chunk: ModelChunk) -> ModelChunk:
    prompt = request.system + "".join(
        (p.text or "") + str(p.call.args if p.call else "") + str(p.response.response if p.response else "")
        for c in request.contents
        for p in c.parts
    )
    output = chunk.text + "".join(f"{c.name}{c.args}" for c in chunk.calls)
    chunk.input_tokens = _tokens(prompt)
    chunk.output_tokens = _tokens(output)
    chunk.response_model = OFFLINE_MODEL
    return chunk


def respond(request: ModelRequest) -> ModelChunk:
    """The next step with token counts estimated from text length (about four characters a token)."""
    return _usage(request, answer(request))


def words(text: str) -> list[str]:
    """Text cut into word-sized pieces that join back exactly, for streaming."""
    return re.findall(r"\S+\s*|\s+", text)


class OfflineModel:
    """Rule-based model for running without an API key; deterministic, so tests can rely on its answers."""

    provider = PROVIDER_OFFLINE
    model = OFFLINE_MODEL
    price = FREE  # runs here, no one bills it

    async def generate(self, request: ModelRequest) -> ModelChunk:
        """The whole answer at once."""
        return respond(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelChunk]:
        """The answer word by word, then calls, finish reason and usage in a last chunk."""
        whole = respond(request)
        for piece in words(whole.text):
            yield ModelChunk(text=piece)
            await asyncio.sleep(0)
        yield ModelChunk(
            calls=whole.calls,
            finish_reason=whole.finish_reason,
            input_tokens=whole.input_tokens,
            output_tokens=whole.output_tokens,
            response_model=whole.response_model,
        )
