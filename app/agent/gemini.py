"""Gemini through google-genai, with automatic function calling off: the agent loop runs the tools."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx2
import structlog
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gt

from app.agent.pricing import Price, load_prices, price_for
from app.agent.types import Content, FunctionCall, ModelChunk, ModelRequest, ModelUnavailable, Part
from app.core.circuit import CircuitBreaker, CircuitOpen
from app.core.config import Settings
from telemetry.conventions import PROVIDER_GEMINI

log = structlog.get_logger(__name__)

RETRY_STATUS_CODES = [429, 500, 502, 503, 504]
UNAVAILABLE = "The assistant's language model is unavailable right now; your message was saved, so try again shortly."
# Five calls in a row that failed even after google-genai's own retries mean Gemini is down, not flaky: stop
# sending it traffic (and stop holding workers on its timeouts) for 30 seconds, then let one trial through.
CIRCUIT_FAILURE_THRESHOLD = 5
CIRCUIT_RESET_SECONDS = 30.0
CIRCUIT_NAME = "gemini"
# The connection dropped before any answer came back: most often a pooled keep-alive connection the server closed
# just as it was reused. google-genai retries only connect errors and timeouts; these get one more try at once,
# on a new connection (the request changed nothing, so sending it again is safe).
DROPPED_CONNECTION = (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)


def _to_part(part: Part) -> gt.Part:
    if part.call is not None:
        call = gt.FunctionCall(name=part.call.name, args=part.call.args, id=part.call.id)
        return gt.Part(function_call=call, thought_signature=part.call.signature)
    if part.response is not None:
        response = gt.FunctionResponse(name=part.response.name, response=part.response.response, id=part.response.id)
        return gt.Part(function_response=response)
    return gt.Part(text=part.text or "")


def _to_content(content: Content) -> gt.Content:
    return gt.Content(role=content.role, parts=[_to_part(p) for p in content.parts])


def _from_response(response: gt.GenerateContentResponse) -> ModelChunk:
    chunk = ModelChunk()
    candidate = response.candidates[0] if response.candidates else None
    if candidate is not None and candidate.content is not None:
        for part in candidate.content.parts or []:
            if part.function_call is not None and part.function_call.name:
                call = part.function_call
                chunk.calls.append(
                    FunctionCall(
                        name=call.name or "", args=dict(call.args or {}), id=call.id, signature=part.thought_signature
                    )
                )
            elif part.text and not part.thought:
                chunk.text += part.text
    if candidate is not None and candidate.finish_reason is not None:
        chunk.finish_reason = str(candidate.finish_reason.value)
    usage = response.usage_metadata
    if usage is not None:
        chunk.input_tokens = usage.prompt_token_count
        chunk.output_tokens = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0) or None
        chunk.cached_tokens = usage.cached_content_token_count
    chunk.response_model = response.model_version
    return chunk


def _error_type(err: Exception) -> str:
    if isinstance(err, genai_errors.APIError):
        return str(err.code)
    if isinstance(err, httpx2.TimeoutException):
        return "timeout"
    return type(err).__name__


def is_outage(err: BaseException) -> bool:
    """Whether an error says Gemini is down (transport failure, 429 or 5xx), not that our request was wrong."""
    if isinstance(err, genai_errors.APIError):
        return err.code == 429 or err.code >= 500
    return isinstance(err, httpx2.RequestError)


def _stream_verdict(err: Exception) -> bool | None:
    # An error of our own mid-stream (or the reader leaving) says nothing about Gemini's health.
    return is_outage(err) if isinstance(err, (genai_errors.APIError, httpx2.HTTPError)) else None


def _unavailable(err: CircuitOpen) -> ModelUnavailable:
    return ModelUnavailable(UNAVAILABLE, error_type="circuit_open", retry_after=err.retry_after)


class GeminiModel:
    """Gemini's generateContent (or its streaming form) with retries on 429/5xx, a per-call timeout and a breaker."""

    provider = PROVIDER_GEMINI

    def __init__(self, settings: Settings) -> None:
        assert settings.gemini_api_key is not None
        self.model = settings.gemini_model
        self.price: Price | None = price_for(self.model, load_prices(settings.gemini_prices))
        if self.price is None:
            log.warning("gemini_model_unpriced", model=self.model, hint="add it to GEMINI_PRICES; its cost counts 0")
        self.breaker = CircuitBreaker(
            CIRCUIT_NAME, failure_threshold=CIRCUIT_FAILURE_THRESHOLD, reset_seconds=CIRCUIT_RESET_SECONDS
        )
        options = gt.HttpOptions(
            base_url=settings.gemini_base_url,
            timeout=int(settings.gemini_timeout_seconds * 1000),
            retry_options=gt.HttpRetryOptions(
                attempts=settings.gemini_max_attempts,
                initial_delay=0.5,
                max_delay=8.0,
                http_status_codes=RETRY_STATUS_CODES,
            ),
        )
        self._client = genai.Client(api_key=settings.gemini_api_key.get_secret_value(), http_options=options)

    def _config(self, request: ModelRequest) -> gt.GenerateContentConfig:
        declarations = [
            gt.FunctionDeclaration(name=t.name, description=t.description, parameters_json_schema=t.parameters)
            for t in request.tools
        ]
        return gt.GenerateContentConfig(
            system_instruction=request.system,
            tools=[gt.Tool(function_declarations=declarations)] if declarations else None,
            automatic_function_calling=gt.AutomaticFunctionCallingConfig(disable=True),
        )

    def _contents(self, request: ModelRequest) -> Any:
        return [_to_content(c) for c in request.contents]

    async def generate(self, request: ModelRequest) -> ModelChunk:
        """The whole answer at once.

        Raises:
            ModelUnavailable: Gemini failed or timed out after the configured attempts, or its circuit is open.
        """
        contents, config = self._contents(request), self._config(request)
        models = self._client.aio.models

        async def generate_content() -> gt.GenerateContentResponse:
            try:
                return await models.generate_content(model=self.model, contents=contents, config=config)
            except DROPPED_CONNECTION as err:
                log.info("gemini_connection_dropped", error_type=type(err).__name__, retrying=True)
                return await models.generate_content(model=self.model, contents=contents, config=config)

        try:
            async with self.breaker.guard(verdict=is_outage, refused=_unavailable):
                response = await generate_content()
        except (genai_errors.APIError, httpx2.HTTPError) as err:
            raise ModelUnavailable(UNAVAILABLE, error_type=_error_type(err)) from err
        return _from_response(response)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelChunk]:
        """The answer as Gemini streams it.

        Raises:
            ModelUnavailable: Gemini failed or timed out (before or during the stream), or its circuit is open.
        """
        try:
            async with (
                self.breaker.guard(verdict=_stream_verdict, refused=_unavailable),
                contextlib.aclosing(self._responses(request)) as responses,
            ):
                async for response in responses:
                    yield _from_response(response)
        except (genai_errors.APIError, httpx2.HTTPError) as err:
            raise ModelUnavailable(UNAVAILABLE, error_type=_error_type(err)) from err

    async def _responses(self, request: ModelRequest) -> AsyncGenerator[gt.GenerateContentResponse]:
        """Gemini's streamed responses; the call is sent once more if its connection drops before the first one."""
        contents, config = self._contents(request), self._config(request)
        models = self._client.aio.models
        for attempt in range(2):
            received = False
            try:
                stream = await models.generate_content_stream(model=self.model, contents=contents, config=config)
                async for response in stream:
                    received = True
                    yield response
                return
            except DROPPED_CONNECTION as err:
                if received or attempt:
                    raise  # part of the answer was already passed on, or this was the second try
                log.info("gemini_connection_dropped", error_type=type(err).__name__, retrying=True)

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._client.aio.aclose()
