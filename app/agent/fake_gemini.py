"""`todochat fake-gemini`: a Gemini-REST-compatible server backed by the offline model.

Speaks `/{version}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` as google-genai calls
them, with knobs for latency, errors and a concurrency cap, so tests and load tests can drive the real
client over HTTP without a key or a network.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.agent.offline import respond, words
from app.agent.types import Content, FunctionCall, FunctionResponse, ModelChunk, ModelRequest, Part, ToolSpec

_STATUS_NAMES = {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
# Gemini has no finish reason of its own for function calls: a round that ends in calls finishes with STOP.
_GEMINI_FINISH_REASONS = {"stop": "STOP", "tool_call": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}


@dataclass
class FakeGeminiConfig:
    """Behaviour knobs; every one can come from a FAKE_GEMINI_* environment variable."""

    ttft_ms: float = 0.0
    token_delay_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_codes: list[int] = field(default_factory=lambda: [429, 500, 503])
    max_concurrency: int = 0  # 0: no cap
    seed: int | None = None
    cached_share: float = 0.0  # share of each prompt's tokens reported as read from the cache

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> FakeGeminiConfig:
        """Read FAKE_GEMINI_TTFT_MS, _TOKEN_DELAY_MS, _JITTER_MS, _ERROR_RATE, _ERROR_CODES, _MAX_CONCURRENCY, _SEED,
        _CACHED_SHARE."""
        env = dict(os.environ if env is None else env)
        config = cls()
        get = env.get
        if value := get("FAKE_GEMINI_TTFT_MS"):
            config.ttft_ms = float(value)
        if value := get("FAKE_GEMINI_TOKEN_DELAY_MS"):
            config.token_delay_ms = float(value)
        if value := get("FAKE_GEMINI_JITTER_MS"):
            config.jitter_ms = float(value)
        if value := get("FAKE_GEMINI_ERROR_RATE"):
            config.error_rate = float(value)
        if value := get("FAKE_GEMINI_ERROR_CODES"):
            config.error_codes = [int(code) for code in value.split(",") if code.strip()]
        if value := get("FAKE_GEMINI_MAX_CONCURRENCY"):
            config.max_concurrency = int(value)
        if value := get("FAKE_GEMINI_SEED"):
            config.seed = int(value)
        if value := get("FAKE_GEMINI_CACHED_SHARE"):
            config.cached_share = float(value)
        return config

    def validate(self) -> None:
        """Raises ValueError when a knob is out of range."""
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error rate must be between 0 and 1")
        if not 0.0 <= self.cached_share <= 1.0:
            raise ValueError("cached share must be between 0 and 1")
        if min(self.ttft_ms, self.token_delay_ms, self.jitter_ms) < 0 or self.max_concurrency < 0:
            raise ValueError("delays and the concurrency cap cannot be negative")
        if not self.error_codes or any(code not in _STATUS_NAMES for code in self.error_codes):
            raise ValueError(f"error codes must be among {sorted(_STATUS_NAMES)}")


def _part_from_json(data: dict[str, Any]) -> Part:
    if call := data.get("functionCall"):
        signature = data.get("thoughtSignature")
        return Part(
            call=FunctionCall(
                name=call["name"],
                args=dict(call.get("args") or {}),
                id=call.get("id"),
                signature=base64.b64decode(signature) if signature else None,
            )
        )
    if response := data.get("functionResponse"):
        return Part(
            response=FunctionResponse(
                name=response["name"], response=dict(response.get("response") or {}), id=response.get("id")
            )
        )
    return Part(text=data.get("text"))


def parse_request(body: dict[str, Any]) -> ModelRequest:
    """A Gemini REST generateContent body as the offline model's request."""
    contents = [
        Content(
            role="model" if c.get("role") == "model" else "user", parts=[_part_from_json(p) for p in c.get("parts", [])]
        )
        for c in body.get("contents", [])
    ]
    system = "".join(p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", []))
    tools = [
        ToolSpec(
            name=d["name"],
            description=d.get("description", ""),
            # google-genai sends its pydantic field name (parameters_json_schema) as it is
            parameters=d.get("parametersJsonSchema") or d.get("parameters_json_schema") or d.get("parameters") or {},
        )
        for tool in body.get("tools", [])
        for d in tool.get("functionDeclarations", [])
    ]
    return ModelRequest(system=system, contents=contents, tools=tools)


def _response_json(model: str, parts: list[dict[str, Any]], chunk: ModelChunk | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": uuid.uuid4().hex}
    if chunk is not None:
        candidate["finishReason"] = _GEMINI_FINISH_REASONS.get((chunk.finish_reason or "stop").lower(), "OTHER")
        body["usageMetadata"] = {
            "promptTokenCount": chunk.input_tokens or 0,
            "candidatesTokenCount": chunk.output_tokens or 0,
            "totalTokenCount": (chunk.input_tokens or 0) + (chunk.output_tokens or 0),
        }
        if chunk.cached_tokens:  # Gemini leaves the field out when nothing came from the cache
            body["usageMetadata"]["cachedContentTokenCount"] = chunk.cached_tokens
    return body


def _call_parts(chunk: ModelChunk) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": c.name, "args": c.args, "id": c.id}} for c in chunk.calls]


def _error(code: int, message: str) -> JSONResponse:
    status = _STATUS_NAMES.get(code, "UNKNOWN")
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code)


class FakeGemini:
    """The server's state: knobs, a random source and the number of requests being answered."""

    def __init__(self, config: FakeGeminiConfig) -> None:
        config.validate()
        self.config = config
        self.random = random.Random(config.seed)  # noqa: S311 - simulated faults, not security
        self.in_flight = 0
        self.requests = 0

    def _delay(self, ms: float) -> float:
        jitter = self.random.uniform(0, self.config.jitter_ms) if self.config.jitter_ms else 0.0
        return (ms + jitter) / 1000

    async def handle(self, request: Request) -> Response:
        """One generateContent or streamGenerateContent call."""
        target = request.path_params["target"]
        model, _, method = target.partition(":")
        if method not in {"generateContent", "streamGenerateContent"}:
            return _error(400, f"Unknown method {method!r}.")
        if not (request.headers.get("x-goog-api-key") or request.query_params.get("key")):
            return _error(400, "API key not valid. Please pass a valid API key.")
        self.requests += 1
        if self.config.max_concurrency and self.in_flight >= self.config.max_concurrency:
            return _error(429, "Resource has been exhausted (concurrency cap reached).")
        if self.config.error_rate and self.random.random() < self.config.error_rate:
            code = self.random.choice(self.config.error_codes)
            return _error(code, "Injected failure from the fake Gemini server.")
        try:
            body = json.loads(await request.body())
            model_request = parse_request(body)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            return _error(400, f"Invalid request body: {err}")
        whole = respond(model_request)
        whole.response_model = model
        whole.cached_tokens = int((whole.input_tokens or 0) * self.config.cached_share)
        if method == "generateContent":
            return await self._whole(model, whole)
        return self._stream(model, whole)

    async def _whole(self, model: str, chunk: ModelChunk) -> Response:
        self.in_flight += 1
        try:
            pieces = len(words(chunk.text)) + len(chunk.calls)
            await asyncio.sleep(self._delay(self.config.ttft_ms) + pieces * self.config.token_delay_ms / 1000)
            parts = ([{"text": chunk.text}] if chunk.text else []) + _call_parts(chunk)
            return JSONResponse(_response_json(model, parts, chunk))
        finally:
            self.in_flight -= 1

    def _stream(self, model: str, chunk: ModelChunk) -> Response:
        async def events() -> AsyncIterator[str]:
            self.in_flight += 1
            try:
                await asyncio.sleep(self._delay(self.config.ttft_ms))
                pieces = words(chunk.text)
                for index, piece in enumerate(pieces):
                    if index:
                        await asyncio.sleep(self.config.token_delay_ms / 1000)
                    last = index == len(pieces) - 1 and not chunk.calls
                    body = _response_json(model, [{"text": piece}], chunk if last else None)
                    yield f"data: {json.dumps(body)}\r\n\r\n"
                if chunk.calls or not pieces:
                    body = _response_json(model, _call_parts(chunk), chunk)
                    yield f"data: {json.dumps(body)}\r\n\r\n"
            finally:
                self.in_flight -= 1

        return StreamingResponse(events(), media_type="text/event-stream")


def create_fake_gemini_app(config: FakeGeminiConfig | None = None) -> Starlette:
    """The ASGI app; `app.state.fake` exposes the state to tests."""
    fake = FakeGemini(config or FakeGeminiConfig.from_env())

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "requests": fake.requests, "in_flight": fake.in_flight})

    app = Starlette(
        routes=[
            Route("/{version}/models/{target}", fake.handle, methods=["POST"]),
            Route("/health", health),
        ]
    )
    app.state.fake = fake
    return app
