"""The agent loop: model -> function calls -> MCP tools -> function responses -> model, a bounded number of rounds.

Traced after the OpenTelemetry GenAI conventions: one `invoke_agent` span per turn, one `chat {model}` span per
model round, one `execute_tool {name}` span per tool call (the MCP client span nests inside it). Message
contents are never put on spans.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from app.agent.prompts import SYSTEM_PROMPT
from app.agent.types import (
    ChatModel,
    Content,
    FunctionCall,
    FunctionResponse,
    ModelChunk,
    ModelRequest,
    ModelUnavailable,
    Part,
    user_text,
)
from app.mcp.client import McpTools
from telemetry import conventions as c
from telemetry.metrics import (
    gen_ai_operation_duration,
    gen_ai_time_to_first_chunk,
    gen_ai_token_usage,
    llm_cost,
    observe,
    tool_call_duration,
)

tracer = trace.get_tracer(__name__)
AGENT_NAME = "todochat"
OUT_OF_ROUNDS = "I couldn't finish that within my step limit. Please try again with a simpler request."


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentEvent:
    kind: Literal["delta", "tool_call"]
    data: dict[str, Any]


@dataclass(slots=True)
class AgentResult:
    response: str
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    cost_usd: float = 0.0  # list price of the turn's model calls


Emit = Callable[[AgentEvent], Awaitable[None]]


async def run_agent(
    *,
    model: ChatModel,
    tools: Callable[[], AbstractAsyncContextManager[McpTools]],
    history: list[Content],
    message: str,
    conversation_id: uuid.UUID,
    max_rounds: int,
    emit: Emit | None = None,
    system: str = SYSTEM_PROMPT,
) -> AgentResult:
    """Answer `message` given `history`, calling tools (connected by `tools()`) as the model asks.

    With `emit`, the model is streamed and text deltas and tool calls are emitted as they happen.

    Raises:
        ModelUnavailable: the model failed (after its retries).
        ToolsUnavailable: the MCP server could not be reached.
    """
    with tracer.start_as_current_span(f"{c.SPAN_INVOKE_AGENT} {AGENT_NAME}", kind=SpanKind.INTERNAL) as span:
        span.set_attributes(
            {
                c.ATTR_OPERATION_NAME: "invoke_agent",
                c.ATTR_AGENT_NAME: AGENT_NAME,
                c.ATTR_CONVERSATION_ID: str(conversation_id),
                c.ATTR_PROVIDER_NAME: model.provider,
                c.ATTR_REQUEST_MODEL: model.model,
            }
        )
        try:
            async with tools() as connected:
                result = await _loop(model, connected, [*history, user_text(message)], max_rounds, emit, system)
            span.set_attribute(c.ATTR_COST_USD, result.cost_usd)
            return result
        except Exception as err:
            span.set_attribute(c.ATTR_ERROR_TYPE, getattr(err, "error_type", type(err).__name__))
            span.set_status(Status(StatusCode.ERROR))
            raise


async def _loop(
    model: ChatModel, tools: McpTools, contents: list[Content], max_rounds: int, emit: Emit | None, system: str
) -> AgentResult:
    specs = await tools.list_tools()
    records: list[ToolCallRecord] = []
    texts: list[str] = []
    cost = 0.0
    for _ in range(max_rounds):
        chunk = await _chat_round(model, ModelRequest(system=system, contents=contents, tools=specs), emit)
        cost += call_cost(model, chunk)
        calls = [
            call if call.id else FunctionCall(call.name, call.args, f"call_{uuid.uuid4().hex[:12]}", call.signature)
            for call in chunk.calls
        ]
        parts = ([Part(text=chunk.text)] if chunk.text else []) + [Part(call=call) for call in calls]
        if parts:
            contents.append(Content(role="model", parts=parts))
        if chunk.text:
            texts.append(chunk.text)
        if not calls:
            return AgentResult(response="".join(texts).strip() or "Done.", tool_calls=records, cost_usd=cost)
        responses: list[Part] = []
        for call in calls:
            record = await _execute_tool(tools, call, known={spec.name for spec in specs})
            records.append(record)
            responses.append(Part(response=FunctionResponse(name=call.name, response=record.result, id=call.id)))
            if emit is not None:
                await emit(
                    AgentEvent(
                        "tool_call", {"name": record.name, "arguments": record.arguments, "result": record.result}
                    )
                )
        contents.append(Content(role="user", parts=responses))
    if emit is not None:
        await emit(AgentEvent("delta", {"text": OUT_OF_ROUNDS}))
    return AgentResult(response=OUT_OF_ROUNDS, tool_calls=records, cost_usd=cost)


async def _chat_round(model: ChatModel, request: ModelRequest, emit: Emit | None) -> ModelChunk:
    labels = {
        c.LABEL_GEN_AI_OPERATION: "chat",
        c.LABEL_GEN_AI_PROVIDER: model.provider,
        c.LABEL_GEN_AI_MODEL: model.model,
    }
    started = time.perf_counter()
    with tracer.start_as_current_span(f"{c.SPAN_CHAT} {model.model}", kind=SpanKind.CLIENT) as span:
        span.set_attributes(
            {c.ATTR_OPERATION_NAME: "chat", c.ATTR_PROVIDER_NAME: model.provider, c.ATTR_REQUEST_MODEL: model.model}
        )
        try:
            chunk = await (
                _streamed(model, request, emit, started, labels) if emit is not None else model.generate(request)
            )
        except ModelUnavailable as err:
            span.set_attribute(c.ATTR_ERROR_TYPE, err.error_type)
            span.set_status(Status(StatusCode.ERROR, "model unavailable"))
            observe(
                gen_ai_operation_duration,
                time.perf_counter() - started,
                **labels,
                **{c.LABEL_ERROR_TYPE: err.error_type},
            )
            raise
        if chunk.response_model:
            span.set_attribute(c.ATTR_RESPONSE_MODEL, chunk.response_model)
        if chunk.finish_reason:
            span.set_attribute(c.ATTR_FINISH_REASONS, [chunk.finish_reason.lower()])
        for token_type, count, attribute in (
            (c.TOKEN_INPUT, chunk.input_tokens, c.ATTR_INPUT_TOKENS),
            (c.TOKEN_OUTPUT, chunk.output_tokens, c.ATTR_OUTPUT_TOKENS),
            (c.TOKEN_CACHE_READ, chunk.cached_tokens, c.ATTR_CACHE_READ_TOKENS),
        ):
            if count is not None:
                span.set_attribute(attribute, count)
                gen_ai_token_usage.labels(**labels, **{c.LABEL_GEN_AI_TOKEN_TYPE: token_type}).observe(count)
        cost = call_cost(model, chunk)
        span.set_attribute(c.ATTR_COST_USD, cost)
        if cost:
            llm_cost.labels(**{c.LABEL_GEN_AI_PROVIDER: model.provider, c.LABEL_GEN_AI_MODEL: model.model}).inc(cost)
        observe(gen_ai_operation_duration, time.perf_counter() - started, **labels, **{c.LABEL_ERROR_TYPE: ""})
        return chunk


def call_cost(model: ChatModel, chunk: ModelChunk) -> float:
    """The list price of one answered model call (0 for a model the price table does not know)."""
    if model.price is None:
        return 0.0
    return model.price.cost(
        input_tokens=chunk.input_tokens or 0,
        output_tokens=chunk.output_tokens or 0,
        cached_tokens=chunk.cached_tokens or 0,
    )


async def _streamed(
    model: ChatModel, request: ModelRequest, emit: Emit, started: float, labels: dict[str, str]
) -> ModelChunk:
    whole = ModelChunk()
    first = True
    async for chunk in model.stream(request):
        if first:  # from sending the call, as gen_ai.client.operation.time_to_first_chunk measures it
            observe(gen_ai_time_to_first_chunk, time.perf_counter() - started, **labels)
            first = False
        if chunk.text:
            whole.text += chunk.text
            await emit(AgentEvent("delta", {"text": chunk.text}))
        whole.calls.extend(chunk.calls)
        whole.finish_reason = chunk.finish_reason or whole.finish_reason
        whole.input_tokens = chunk.input_tokens if chunk.input_tokens is not None else whole.input_tokens
        whole.output_tokens = chunk.output_tokens if chunk.output_tokens is not None else whole.output_tokens
        whole.cached_tokens = chunk.cached_tokens if chunk.cached_tokens is not None else whole.cached_tokens
        whole.response_model = chunk.response_model or whole.response_model
    return whole


async def _execute_tool(tools: McpTools, call: FunctionCall, *, known: set[str]) -> ToolCallRecord:
    started = time.perf_counter()
    label = call.name if call.name in known else "unknown"  # the model may invent names: keep labels bounded
    outcome = "error"
    with tracer.start_as_current_span(f"{c.SPAN_EXECUTE_TOOL} {call.name}", kind=SpanKind.INTERNAL) as span:
        span.set_attributes(
            {
                c.ATTR_OPERATION_NAME: "execute_tool",
                c.ATTR_TOOL_NAME: call.name,
                c.ATTR_TOOL_CALL_ID: call.id or "",
            }
        )
        try:
            result = await tools.call(call.name, call.args)
            if result.is_error:
                span.set_attribute(c.ATTR_ERROR_TYPE, "tool_error")
                span.set_status(Status(StatusCode.ERROR, "tool error"))
            else:
                outcome = "ok"
            return ToolCallRecord(name=call.name, arguments=dict(call.args), result=result.result)
        finally:
            observe(
                tool_call_duration, time.perf_counter() - started, **{c.LABEL_TOOL: label, c.LABEL_OUTCOME: outcome}
            )
