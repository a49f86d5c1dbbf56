"""Chat and AI: chat turns, messages, conversations, model calls by model (time to first chunk, tokens, cost),
tool calls by tool, MCP latency."""

from __future__ import annotations

from dashboards import objectives
from dashboards.board import Board, environment_variable, instance_variable
from dashboards.panels import NEEDS_FAILURE, Line, Query, stat_panel, timeseries_panel
from dashboards.promql import eq, ne, quantile, rate, sel, share
from slo.model import Spec
from telemetry import conventions as c

UID = "todochat-chat"
P95 = 0.95

GEN_AI_COUNT = f"{c.GEN_AI_OPERATION_DURATION}_count"
TOKENS = f"{c.GEN_AI_TOKEN_USAGE}_sum"
TOOL_COUNT = f"{c.TOOL_CALL_DURATION}_count"
MODEL = c.LABEL_GEN_AI_MODEL


def _legend(*labels: str) -> str:
    return " ".join("{{" + label + "}}" for label in labels)


def _p95(spec: Spec, metric: str) -> float:
    """The percentile the spec watches for `metric` (P95 when it sets none)."""
    watched = objectives.latency_objectives(spec, metric)
    return max(watched) if watched else P95


def _cost(b: Board, spec: Spec) -> None:
    """Model cost: list-price dollars by model, per turn, and the day against the spec's budget."""
    b.row("Model cost")
    budget = [Line(spec.spend.daily_budget, "orange")] if spec.spend is not None else []
    b.add(
        stat_panel(
            "Model spend, last 24 h",
            "List-price US dollars of model calls over the last day, every model and instance.",
            [Query(f"sum(increase({sel(c.LLM_COST)}[1d]))")],
            unit="currencyUSD",
            lines=budget,
            width=6,
        ),
        timeseries_panel(
            "Model spend by model",
            "List-price US dollars per hour, by provider and model (the offline model costs nothing).",
            [Query(f"3600 * {rate(c.LLM_COST, by=[c.LABEL_GEN_AI_PROVIDER, MODEL])}", _legend(MODEL))],
            unit="currencyUSD",
            min_value=0,
            width=9,
        ),
        timeseries_panel(
            "Cost per chat turn",
            "List-price US dollars of one chat turn's model calls: median and P95; dots are exemplars that open "
            "the turn's trace.",
            [
                Query(quantile(0.5, c.CHAT_TURN_COST), "P50", exemplars=True),
                Query(quantile(P95, c.CHAT_TURN_COST), "P95", exemplars=True),
            ],
            unit="currencyUSD",
            min_value=0,
            width=9,
        ),
    )


def board(spec: Spec) -> Board:
    """The chat and AI dashboard."""
    b = Board(
        UID,
        "Todo AI Chatbot / Chat and AI",
        "Chat turns and messages, Gemini calls by model, task tool calls by tool and outcome, MCP server latency.",
        file_name="chat-and-ai.json",
    )
    b.variables(environment_variable(), instance_variable())
    turn_q = _p95(spec, c.CHAT_TURN_DURATION)
    model_q = _p95(spec, c.GEN_AI_OPERATION_DURATION)
    tool_q = _p95(spec, c.TOOL_CALL_DURATION)
    ttft_q = _p95(spec, c.GEN_AI_TIME_TO_FIRST_CHUNK)

    b.row("Conversations")
    b.add(
        stat_panel(
            "Active conversations",
            f"Conversations with a message in the last {c.ACTIVE_CONVERSATION_WINDOW_SECONDS // 3600} hours.",
            [Query(f"max({sel(c.CHAT_ACTIVE_CONVERSATIONS)})")],
            unit="none",
        ),
        stat_panel(
            "Chat turns in flight",
            "Chat turns being answered right now.",
            [Query(f"sum({sel(c.CHAT_TURNS_IN_FLIGHT)})")],
            unit="none",
        ),
        stat_panel(
            "Chat turns/min",
            "Chat turns answered per minute.",
            [Query(f"60 * {rate(c.CHAT_TURNS)}")],
            unit="none",
        ),
        stat_panel(
            "Tokens/min",
            "Model tokens (input and output) per minute, every model; cached prompt tokens are part of input.",
            [Query(f"60 * {rate(TOKENS, ne(c.LABEL_GEN_AI_TOKEN_TYPE, c.TOKEN_CACHE_READ))}")],
            unit="none",
        ),
    )
    b.add(
        timeseries_panel(
            "Chat turns by outcome",
            "Chat turns per second by outcome.",
            [Query(rate(c.CHAT_TURNS, by=[c.LABEL_OUTCOME]), _legend(c.LABEL_OUTCOME))],
            unit="ops",
            stacked=True,
        ),
        timeseries_panel(
            "Messages by role",
            "Chat messages stored per second, by role.",
            [Query(rate(c.CHAT_MESSAGES, by=[c.LABEL_ROLE]), _legend(c.LABEL_ROLE))],
            unit="ops",
            stacked=True,
        ),
        timeseries_panel(
            f"Chat turn P{turn_q * 100:g}",
            "Duration of a whole chat turn, model and tool calls included; dots are exemplars that open the trace.",
            [Query(quantile(turn_q, c.CHAT_TURN_DURATION), f"P{turn_q * 100:g}", exemplars=True)],
            unit="s",
            lines=objectives.latency_line(spec, c.CHAT_TURN_DURATION, turn_q),
        ),
        timeseries_panel(
            "Conversations and turns in flight",
            "Active conversations (24 h window) and chat turns being answered.",
            [
                Query(f"max({sel(c.CHAT_ACTIVE_CONVERSATIONS)})", "active conversations"),
                Query(f"sum({sel(c.CHAT_TURNS_IN_FLIGHT)})", "turns in flight"),
            ],
            unit="none",
            min_value=0,
        ),
    )

    b.row("Model (Gemini)")
    b.add(
        timeseries_panel(
            f"Model call P{model_q * 100:g} by model",
            "Duration of a model call by requested model; dots are exemplars that open the trace.",
            [Query(quantile(model_q, c.GEN_AI_OPERATION_DURATION, by=[MODEL]), _legend(MODEL), exemplars=True)],
            unit="s",
            lines=objectives.latency_line(spec, c.GEN_AI_OPERATION_DURATION, model_q),
            width=8,
        ),
        timeseries_panel(
            "Tokens by model and type",
            "Tokens per second by model: input, output, and cache_read (the part of input read from the cache).",
            [
                Query(
                    rate(f"{c.GEN_AI_TOKEN_USAGE}_sum", by=[MODEL, c.LABEL_GEN_AI_TOKEN_TYPE]),
                    _legend(MODEL, c.LABEL_GEN_AI_TOKEN_TYPE),
                )
            ],
            unit="none",
            width=8,
        ),
        timeseries_panel(
            "Model error ratio by model",
            "Share of model calls that failed, by model. Dashed: the model SLO's error budget.",
            [Query(share(GEN_AI_COUNT, [ne(c.LABEL_ERROR_TYPE, "")], by=[MODEL]), _legend(MODEL))],
            unit="percentunit",
            lines=objectives.error_budget_lines(spec, c.GEN_AI_OPERATION_DURATION),
            min_value=0,
            width=8,
        ),
        timeseries_panel(
            f"Time to first chunk P{ttft_q * 100:g} by model",
            "Streamed model calls: from sending the call to its first chunk, what people wait before the answer "
            "starts to appear; dots are exemplars that open the trace.",
            [Query(quantile(ttft_q, c.GEN_AI_TIME_TO_FIRST_CHUNK, by=[MODEL]), _legend(MODEL), exemplars=True)],
            unit="s",
            lines=objectives.latency_line(spec, c.GEN_AI_TIME_TO_FIRST_CHUNK, ttft_q),
            width=12,
        ),
        timeseries_panel(
            "Prompt tokens read from the cache",
            "Share of prompt tokens Gemini read from its cache (billed at the cached price), by model.",
            [
                Query(
                    f"{rate(TOKENS, eq(c.LABEL_GEN_AI_TOKEN_TYPE, c.TOKEN_CACHE_READ), by=[MODEL])}"
                    f" / {rate(TOKENS, eq(c.LABEL_GEN_AI_TOKEN_TYPE, c.TOKEN_INPUT), by=[MODEL])}",
                    _legend(MODEL),
                    needs="a model call answered from Gemini's cache",
                )
            ],
            unit="percentunit",
            min_value=0,
            width=12,
        ),
        timeseries_panel(
            "Model errors by type",
            "Failed model calls per second by model and error type (timeouts, 429, 5xx ...).",
            [
                Query(
                    rate(GEN_AI_COUNT, ne(c.LABEL_ERROR_TYPE, ""), by=[MODEL, c.LABEL_ERROR_TYPE]),
                    _legend(MODEL, c.LABEL_ERROR_TYPE),
                    needs=NEEDS_FAILURE,
                )
            ],
            unit="ops",
            width=24,
        ),
    )

    _cost(b, spec)

    b.row("Tools and MCP")
    b.add(
        timeseries_panel(
            "Tool calls by tool and outcome",
            "Task tool calls made by the agent per second.",
            [Query(rate(TOOL_COUNT, by=[c.LABEL_TOOL, c.LABEL_OUTCOME]), _legend(c.LABEL_TOOL, c.LABEL_OUTCOME))],
            unit="ops",
            stacked=True,
            width=8,
        ),
        timeseries_panel(
            f"Tool call P{tool_q * 100:g} by tool",
            "Duration of a tool call as the agent sees it (MCP round trip included); dots are exemplars.",
            [Query(quantile(tool_q, c.TOOL_CALL_DURATION, by=[c.LABEL_TOOL]), _legend(c.LABEL_TOOL), exemplars=True)],
            unit="s",
            lines=objectives.latency_line(spec, c.TOOL_CALL_DURATION, tool_q),
            width=8,
        ),
        timeseries_panel(
            "Tool error ratio",
            "Share of tool calls that failed. Dashed: the tool SLO's error budget.",
            [Query(share(TOOL_COUNT, [eq(c.LABEL_OUTCOME, "error")]), "error share")],
            unit="percentunit",
            lines=objectives.error_budget_lines(spec, c.TOOL_CALL_DURATION),
            min_value=0,
            width=8,
        ),
        timeseries_panel(
            f"MCP server P{tool_q * 100:g} by tool",
            "Time the MCP server spends on a request, by tool; dots are exemplars that open the trace.",
            [
                Query(
                    quantile(tool_q, c.MCP_SERVER_OPERATION_DURATION, by=[c.LABEL_MCP_METHOD, c.LABEL_TOOL]),
                    _legend(c.LABEL_MCP_METHOD, c.LABEL_TOOL),
                    exemplars=True,
                )
            ],
            unit="s",
            width=12,
        ),
        timeseries_panel(
            "MCP requests by tool and outcome",
            "Requests the MCP server handled per second.",
            [
                Query(
                    rate(f"{c.MCP_SERVER_OPERATION_DURATION}_count", by=[c.LABEL_TOOL, c.LABEL_OUTCOME]),
                    _legend(c.LABEL_TOOL, c.LABEL_OUTCOME),
                )
            ],
            unit="ops",
            stacked=True,
            width=12,
        ),
    )
    return b
