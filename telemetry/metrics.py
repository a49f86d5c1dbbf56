"""Prometheus instruments, named by telemetry.conventions, and small helpers to record into them.

Latency histograms carry the current trace id as an exemplar (shown by OpenMetrics scrapes), so a slow
bucket in Grafana opens the trace that landed there.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from typing import Any

from opentelemetry.trace import SpanContext, TraceFlags
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.samples import Exemplar

from telemetry import conventions as c
from telemetry.spans import IS_VALID, TRACE_FLAGS, TRACE_ID, span_context_in

http_server_duration = Histogram(
    c.HTTP_SERVER_DURATION,
    "Duration of HTTP server requests.",
    [c.LABEL_ROUTE, c.LABEL_METHOD, c.LABEL_STATUS_CLASS],
    buckets=c.HTTP_DURATION_BUCKETS,
)
http_server_active_requests = Gauge(
    c.HTTP_SERVER_ACTIVE_REQUESTS, "HTTP server requests in flight.", multiprocess_mode="livesum"
)

gen_ai_operation_duration = Histogram(
    c.GEN_AI_OPERATION_DURATION,
    "Duration of GenAI model calls.",
    [c.LABEL_GEN_AI_OPERATION, c.LABEL_GEN_AI_PROVIDER, c.LABEL_GEN_AI_MODEL, c.LABEL_ERROR_TYPE],
    buckets=c.GEN_AI_DURATION_BUCKETS,
)
gen_ai_token_usage = Histogram(
    c.GEN_AI_TOKEN_USAGE,
    "Tokens used per GenAI model call.",
    [c.LABEL_GEN_AI_OPERATION, c.LABEL_GEN_AI_PROVIDER, c.LABEL_GEN_AI_MODEL, c.LABEL_GEN_AI_TOKEN_TYPE],
    buckets=c.GEN_AI_TOKEN_BUCKETS,
)
gen_ai_time_to_first_chunk = Histogram(
    c.GEN_AI_TIME_TO_FIRST_CHUNK,
    "Time from sending a streamed GenAI model call to receiving its first chunk.",
    [c.LABEL_GEN_AI_OPERATION, c.LABEL_GEN_AI_PROVIDER, c.LABEL_GEN_AI_MODEL],
    buckets=c.GEN_AI_DURATION_BUCKETS,
)
llm_cost = Counter(
    c.LLM_COST.removesuffix("_total"),
    "List-price cost of GenAI model calls in US dollars, by provider and model.",
    [c.LABEL_GEN_AI_PROVIDER, c.LABEL_GEN_AI_MODEL],
)
chat_turn_cost = Histogram(
    c.CHAT_TURN_COST,
    "List-price cost of the model calls of one chat turn, US dollars.",
    buckets=c.CHAT_TURN_COST_BUCKETS,
)

tool_call_duration = Histogram(
    c.TOOL_CALL_DURATION,
    "Duration of task tool calls made by the agent, by tool and outcome.",
    [c.LABEL_TOOL, c.LABEL_OUTCOME],
    buckets=c.TOOL_DURATION_BUCKETS,
)
mcp_server_operation_duration = Histogram(
    c.MCP_SERVER_OPERATION_DURATION,
    "Duration of MCP requests handled by the MCP server.",
    [c.LABEL_MCP_METHOD, c.LABEL_TOOL, c.LABEL_OUTCOME],
    buckets=c.TOOL_DURATION_BUCKETS,
)

chat_messages = Counter(c.CHAT_MESSAGES.removesuffix("_total"), "Chat messages stored, by role.", [c.LABEL_ROLE])
chat_turns = Counter(c.CHAT_TURNS.removesuffix("_total"), "Chat turns, by outcome.", [c.LABEL_OUTCOME])
chat_turn_duration = Histogram(
    c.CHAT_TURN_DURATION, "Duration of a whole chat turn.", [c.LABEL_OUTCOME], buckets=c.HTTP_DURATION_BUCKETS
)
chat_turns_in_flight = Gauge(c.CHAT_TURNS_IN_FLIGHT, "Chat turns being answered.", multiprocess_mode="livesum")
chat_active_conversations = Gauge(
    c.CHAT_ACTIVE_CONVERSATIONS,
    "Conversations with a message in the last 24 hours.",
    multiprocess_mode="mostrecent",  # refreshed by whichever worker was scraped last
)

db_pool_size = Gauge(c.DB_POOL_SIZE, "Configured database pool size.", multiprocess_mode="livesum")
db_pool_checked_out = Gauge(c.DB_POOL_CHECKED_OUT, "Database connections in use.", multiprocess_mode="livesum")
db_pool_overflow = Gauge(c.DB_POOL_OVERFLOW, "Database connections beyond the pool size.", multiprocess_mode="livesum")
db_pool_wait = Histogram(
    c.DB_POOL_WAIT, "Time spent waiting for a database connection.", buckets=c.TOOL_DURATION_BUCKETS
)
db_client_operation_duration = Histogram(
    c.DB_CLIENT_OPERATION_DURATION,
    "Duration of database statements, by operation and table.",
    [c.LABEL_DB_OPERATION, c.LABEL_DB_COLLECTION],
    buckets=c.TOOL_DURATION_BUCKETS,
)

process_memory_limit = Gauge(
    c.PROCESS_MEMORY_LIMIT, "Memory available to the process (cgroup limit, else host memory).", multiprocess_mode="max"
)

rate_limit_rejections = Counter(
    c.RATE_LIMIT_REJECTIONS.removesuffix("_total"), "Requests refused by a rate limit.", [c.LABEL_LIMIT_SCOPE]
)
rate_limit_backend_errors = Counter(
    c.RATE_LIMIT_BACKEND_ERRORS.removesuffix("_total"),
    "Rate-limit checks that could not reach their store and let the request through.",
)
circuit_breaker_open = Gauge(
    c.CIRCUIT_BREAKER_STATE,
    "1 while the circuit breaker in front of a dependency is open.",
    [c.LABEL_CHECK],
    multiprocess_mode="max",
)

reminders_due = Gauge(
    c.REMINDERS_DUE, "Due reminders not yet sent, as the last poll saw them.", multiprocess_mode="mostrecent"
)
reminders_sent = Counter(
    c.REMINDERS_SENT.removesuffix("_total"), "Reminders sent, by whether they went out late.", [c.LABEL_LATE]
)
reminder_lateness = Histogram(
    c.REMINDER_LATENESS, "How long after its time a reminder was sent.", buckets=c.REMINDER_LATENESS_BUCKETS
)
purged_rows = Counter(
    c.PURGED_ROWS.removesuffix("_total"), "Rows removed by the purge after their window.", [c.LABEL_PURGED]
)
event_streams = Gauge(c.EVENT_STREAMS, "Open event streams (GET /api/v1/events).", multiprocess_mode="livesum")
event_streams_dropped = Counter(
    c.EVENT_STREAMS_DROPPED.removesuffix("_total"), "Event streams ended because the client fell too far behind."
)


def trace_exemplar(ctx: SpanContext | None = None) -> dict[str, str] | None:
    """The trace id of `ctx` (by default the current span's) as an exemplar's labels, when that span is sampled.

    Only the trace id: it is what opens the trace from a Grafana panel.
    """
    if ctx is None:
        ctx = span_context_in()
    if not ctx[TRACE_FLAGS] & TraceFlags.SAMPLED or not ctx[IS_VALID]:  # the fields without property calls
        return None
    return {c.EXEMPLAR_TRACE_ID: format(ctx[TRACE_ID], "032x")}


def observe(histogram: Histogram, seconds: float, **labels: str) -> None:
    """Record a latency with the current trace as its exemplar."""
    child = histogram.labels(**labels) if labels else histogram
    observe_latency(child, seconds, span_context_in())


# A bucket's exemplar is replaced at most this often. Only the newest one per bucket is exposed, and Prometheus
# scrapes every 15 s or so: one a second is plenty, and the other observations skip making one.
EXEMPLAR_EVERY_SECONDS = 1.0
# Exemplar(labels, value, timestamp), a NamedTuple, without the Python call its __new__ is.
_new_exemplar = tuple.__new__
_NOT_KEPT = Exemplar({}, 0.0, 0.0)  # a value class that keeps no exemplars (the multiprocess one)


def observe_latency(histogram: Histogram, seconds: float, ctx: SpanContext | None) -> None:
    """`histogram.observe(seconds, exemplar)` for a histogram without labels or a child, on every request's path,
    with the trace of `ctx` (when sampled) as the bucket's exemplar.

    The same sum and bucket are recorded, in this process or the multiprocess directory; what is left out is
    what costs most of Histogram.observe here: finding the bucket by walking every bound in Python (bisect
    instead), checking again that it was given a child, and validating the exemplar's labels on every call
    (one fixed name, 32 characters). The bucket's exemplar is the first sampled observation once the one it
    holds is EXEMPLAR_EVERY_SECONDS old, not every observation's.
    """
    if seconds != seconds:  # NaN lands in no bucket, as in Histogram.observe
        histogram._sum.inc(seconds)
        return
    bucket = histogram._buckets[bisect_left(histogram._upper_bounds, seconds)]
    histogram._sum.inc(seconds)
    bucket.inc(1)
    if ctx is None or not ctx[TRACE_FLAGS] & TraceFlags.SAMPLED or not ctx[IS_VALID]:
        return
    kept = getattr(bucket, "_exemplar", _NOT_KEPT)
    if kept is _NOT_KEPT:
        return
    now = time.time()
    # Also when the wall clock stepped back. Its timestamp is time.time(), here and in Histogram.observe.
    if kept is None or not 0.0 <= now - kept.timestamp < EXEMPLAR_EVERY_SECONDS:  # type: ignore[operator]
        bucket.set_exemplar(_new_exemplar(Exemplar, (trace_exemplar(ctx), seconds, now)))


def gauge_value(gauge: Gauge) -> Any:
    """The value of a gauge without labels, for paths every request takes: `value.inc(1)` and `value.inc(-1)`
    are `gauge.inc()` and `gauge.dec()` without the check, two Python calls deep, that it has no labels (made
    here, once). In this process or the multiprocess directory; not for a "mostrecent" multiprocess gauge,
    whose own methods also stamp the time."""
    gauge._raise_if_not_observable()  # type: ignore[no-untyped-call]
    return gauge._value


def status_class(status_code: int) -> str:
    """The bounded status label: 2xx, 3xx, 4xx or 5xx (anything malformed counts as 5xx)."""
    return f"{status_code // 100}xx" if 100 <= status_code < 600 else "5xx"
