"""What the SLO engine knows about each metric named in telemetry.conventions: its type and bucket edges."""

from __future__ import annotations

from typing import Final

from telemetry import conventions as c

HISTOGRAMS: Final[dict[str, tuple[float, ...]]] = {
    c.HTTP_SERVER_DURATION: c.HTTP_DURATION_BUCKETS,
    c.CHAT_TURN_DURATION: c.HTTP_DURATION_BUCKETS,
    c.GEN_AI_OPERATION_DURATION: c.GEN_AI_DURATION_BUCKETS,
    c.GEN_AI_TIME_TO_FIRST_CHUNK: c.GEN_AI_DURATION_BUCKETS,
    c.GEN_AI_TOKEN_USAGE: c.GEN_AI_TOKEN_BUCKETS,
    c.CHAT_TURN_COST: c.CHAT_TURN_COST_BUCKETS,
    c.TOOL_CALL_DURATION: c.TOOL_DURATION_BUCKETS,
    c.MCP_SERVER_OPERATION_DURATION: c.TOOL_DURATION_BUCKETS,
    c.MCP_CLIENT_OPERATION_DURATION: c.TOOL_DURATION_BUCKETS,
    c.DB_POOL_WAIT: c.TOOL_DURATION_BUCKETS,
    c.DB_CLIENT_OPERATION_DURATION: c.TOOL_DURATION_BUCKETS,
    c.REMINDER_LATENESS: c.REMINDER_LATENESS_BUCKETS,
}
COUNTERS: Final = frozenset(
    {
        c.CHAT_MESSAGES,
        c.CHAT_TURNS,
        c.RATE_LIMIT_REJECTIONS,
        c.RATE_LIMIT_BACKEND_ERRORS,
        c.PROCESS_CPU,
        c.REMINDERS_SENT,
        c.PURGED_ROWS,
        c.EVENT_STREAMS_DROPPED,
        c.LLM_COST,
    }
)
GAUGES: Final = frozenset(
    {
        c.HTTP_SERVER_ACTIVE_REQUESTS,
        c.CHAT_TURNS_IN_FLIGHT,
        c.CHAT_ACTIVE_CONVERSATIONS,
        c.DB_POOL_SIZE,
        c.DB_POOL_CHECKED_OUT,
        c.DB_POOL_OVERFLOW,
        c.PROCESS_RESIDENT_MEMORY,
        c.PROCESS_MEMORY_LIMIT,
        c.CIRCUIT_BREAKER_STATE,
        c.REMINDERS_DUE,
        c.EVENT_STREAMS,
        c.BACKUP_LAST_SUCCESS,
        c.BACKUP_DURATION,
        c.BACKUP_SIZE,
        c.RESTORE_DRILL_LAST_RUN,
        c.RESTORE_DRILL_SUCCESS,
        c.RESTORE_DRILL_RTO,
        c.RESTORE_DRILL_RPO,
    }
)
LABELS: Final = frozenset(
    value for name, value in vars(c).items() if name.startswith("LABEL_") and isinstance(value, str)
)


def counter_series(metric: str) -> str:
    """The series that counts events of a histogram or counter metric."""
    return metric + "_count" if metric in HISTOGRAMS else metric


def format_le(bound: float) -> str:
    """A bucket bound as prometheus_client writes the `le` label (0.3 -> "0.3", 1 -> "1.0")."""
    from prometheus_client.utils import floatToGoString

    return str(floatToGoString(bound))  # type: ignore[no-untyped-call]  # prometheus_client has no annotation here
