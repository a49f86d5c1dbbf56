"""The one source of metric, label, span and rule names.

Telemetry emits these; the SLO engine, the alert rules, the dashboards and the load-test gates read them.
Renaming a metric here renames it everywhere, so a panel or a rule cannot silently point at nothing.
Prometheus names follow the OpenTelemetry semantic conventions translated to Prometheus style
(dots to underscores, unit suffix), so they match what an OTLP pipeline would produce.
"""

from __future__ import annotations

from typing import Final

SERVICE_NAME: Final = "todochat"
MCP_SERVICE_NAME: Final = "todochat-mcp"
WORKER_SERVICE_NAME: Final = "todochat-worker"

# --- Label names (bounded values only: never user ids, never raw paths) ---
LABEL_ROUTE: Final = "http_route"  # route template, e.g. /api/v1/tasks/{task_id}
LABEL_METHOD: Final = "http_request_method"
LABEL_STATUS_CLASS: Final = "http_status_class"  # 2xx, 3xx, 4xx, 5xx
LABEL_GEN_AI_OPERATION: Final = "gen_ai_operation_name"
LABEL_GEN_AI_PROVIDER: Final = "gen_ai_provider_name"
LABEL_GEN_AI_MODEL: Final = "gen_ai_request_model"
LABEL_GEN_AI_TOKEN_TYPE: Final = "gen_ai_token_type"  # input, output, cache_read (a part of input)
LABEL_ERROR_TYPE: Final = "error_type"  # empty when the call succeeded
LABEL_TOOL: Final = "gen_ai_tool_name"
LABEL_OUTCOME: Final = "outcome"  # ok, error
LABEL_MCP_METHOD: Final = "mcp_method_name"
LABEL_ROLE: Final = "role"  # user, assistant
LABEL_LIMIT_SCOPE: Final = "scope"  # user, ip, login, chat
LABEL_SLO: Final = "slo"
LABEL_WINDOW: Final = "window"
LABEL_SEVERITY: Final = "severity"
LABEL_CHECK: Final = "check"
LABEL_LATE: Final = "late"  # "true" when a reminder went out later than REMINDER_LATE_SECONDS
LABEL_PURGED: Final = "kind"  # tasks, task_changes, user_events
LABEL_DB_OPERATION: Final = "db_operation_name"  # SELECT, INSERT, UPDATE, DELETE, ... or OTHER
LABEL_DB_COLLECTION: Final = "db_collection_name"  # the statement's table; "other" past DB_TABLES_KEPT names
LABEL_ENVIRONMENT: Final = "deployment_environment"  # target label set by the scrape config
EXEMPLAR_TRACE_ID: Final = "trace_id"  # exemplar label that links a latency sample to its trace

STATUS_CLASSES: Final = ("2xx", "3xx", "4xx", "5xx")
ROUTE_UNMATCHED: Final = "unmatched"  # the route label of requests no route matched (404s, redirects)
SEVERITIES: Final = ("critical", "high", "medium", "low")

# --- HTTP server ---
HTTP_SERVER_DURATION: Final = "http_server_request_duration_seconds"  # histogram
HTTP_SERVER_ACTIVE_REQUESTS: Final = "http_server_active_requests"  # gauge
# Bucket edges chosen to resolve P95/P99 near the SLO thresholds (300 ms, 1 s, 2 s, 5 s).
HTTP_DURATION_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75,
    1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 7.5, 10.0, 30.0,
)  # fmt: skip

# --- GenAI client (OpenTelemetry GenAI semantic conventions) ---
GEN_AI_OPERATION_DURATION: Final = "gen_ai_client_operation_duration_seconds"  # histogram
GEN_AI_TOKEN_USAGE: Final = "gen_ai_client_token_usage"  # histogram, unit tokens
# Error types a model call is labelled with most often (HTTP status of the API, a timeout, the open breaker):
# created at zero so the first of each counts. Others still count from their second occurrence.
GEN_AI_ERROR_TYPES: Final = ("timeout", "circuit_open", "429", "500", "503", "504")
GEN_AI_DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
GEN_AI_TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
)  # fmt: skip
# Time from sending a streamed model call to its first chunk (gen_ai.client.operation.time_to_first_chunk), with
# the conventions' advised buckets (those of the operation duration). Labels: operation, provider, model.
GEN_AI_TIME_TO_FIRST_CHUNK: Final = "gen_ai_client_operation_time_to_first_chunk_seconds"  # histogram
# Token types of gen_ai_client_token_usage. The conventions' input count includes tokens read from the provider's
# cache; "cache_read" (gen_ai.usage.cache_read.input_tokens) is that part again, billed at the cached price.
TOKEN_INPUT: Final = "input"
TOKEN_OUTPUT: Final = "output"
TOKEN_CACHE_READ: Final = "cache_read"

# --- Model cost (no GenAI convention names cost yet) ---
LLM_COST: Final = "todochat_llm_cost_usd_total"  # counter, labels provider + model: list-price USD of model calls
CHAT_TURN_COST: Final = "todochat_chat_turn_cost_usd"  # histogram: USD of the model calls of one chat turn
CHAT_TURN_COST_BUCKETS: Final = (
    0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0,
)  # fmt: skip

# --- Tools and MCP ---
TOOL_CALL_DURATION: Final = "todochat_tool_call_duration_seconds"  # histogram, labels tool + outcome
MCP_SERVER_OPERATION_DURATION: Final = "mcp_server_operation_duration_seconds"  # histogram
MCP_CLIENT_OPERATION_DURATION: Final = "mcp_client_operation_duration_seconds"  # histogram
# The task tools the MCP server offers (app/mcp/tools.py registers them; a test checks the two agree), and the
# label of a name the model invented.
TOOL_NAMES: Final = (
    "add_task", "list_tasks", "complete_task", "delete_task", "update_task",
    "bulk_update_tasks", "undo_last_change", "list_tags",
)  # fmt: skip
TOOL_UNKNOWN: Final = "unknown"
OUTCOMES: Final = ("ok", "error")
TOOL_DURATION_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

# --- Chat ---
CHAT_MESSAGES: Final = "todochat_chat_messages_total"  # counter, label role
CHAT_TURNS: Final = "todochat_chat_turns_total"  # counter, label outcome
CHAT_TURN_DURATION: Final = "todochat_chat_turn_duration_seconds"  # histogram
CHAT_TURNS_IN_FLIGHT: Final = "todochat_chat_turns_in_flight"  # gauge
CHAT_ACTIVE_CONVERSATIONS: Final = "todochat_chat_active_conversations"  # gauge, 24 h session window
ACTIVE_CONVERSATION_WINDOW_SECONDS: Final = 24 * 3600

# --- Database pool ---
DB_POOL_SIZE: Final = "todochat_db_pool_size"  # gauge
DB_POOL_CHECKED_OUT: Final = "todochat_db_pool_checked_out"  # gauge
DB_POOL_OVERFLOW: Final = "todochat_db_pool_overflow"  # gauge
DB_POOL_WAIT: Final = "todochat_db_pool_wait_seconds"  # histogram
# Statement time as the OpenTelemetry database conventions name it (db.client.operation.duration).
DB_CLIENT_OPERATION_DURATION: Final = "db_client_operation_duration_seconds"  # histogram, operation + table
DB_OPERATIONS: Final = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
DB_OPERATION_OTHER: Final = "OTHER"
DB_TABLES_KEPT: Final = 32  # distinct table labels a process makes at most; later names count as "other"
DB_TABLE_OTHER: Final = "other"

# --- Process (prometheus_client's process collector) ---
PROCESS_CPU: Final = "process_cpu_seconds_total"
PROCESS_RESIDENT_MEMORY: Final = "process_resident_memory_bytes"
PROCESS_MEMORY_LIMIT: Final = "todochat_process_memory_limit_bytes"  # gauge: cgroup or host memory
PROCESS_START_TIME: Final = "process_start_time_seconds"
SERVER_PROCESSES: Final = "todochat_server_processes"  # gauge: supervisor + live workers counted (multi-worker)

# --- Hardening ---
RATE_LIMIT_REJECTIONS: Final = "todochat_rate_limit_rejections_total"  # counter, label scope
RATE_LIMIT_BACKEND_ERRORS: Final = "todochat_rate_limit_backend_errors_total"  # counter (fail-open events)
CIRCUIT_BREAKER_STATE: Final = "todochat_circuit_breaker_open"  # gauge 0/1, label check (dependency)

# --- Reminders and event streams ---
REMINDERS_DUE: Final = "todochat_reminders_due"  # gauge: due reminders not yet sent, seen by the last poll
REMINDERS_SENT: Final = "todochat_reminders_sent_total"  # counter, label late
REMINDER_LATENESS: Final = "todochat_reminder_lateness_seconds"  # histogram: sent time minus remind_at
# Edges around the 60 s objective (P99 at most 60 s), then out to a day for reminders missed during an outage.
REMINDER_LATENESS_BUCKETS: Final = (
    0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 45.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0,
)  # fmt: skip
PURGED_ROWS: Final = "todochat_purged_rows_total"  # counter, label kind
EVENT_STREAMS: Final = "todochat_event_streams"  # gauge: open GET /api/v1/events streams
EVENT_STREAMS_DROPPED: Final = "todochat_event_streams_dropped_total"  # counter: slow clients cut off

# --- Backups and recovery ---
BACKUP_LAST_SUCCESS: Final = "todochat_backup_last_success_timestamp_seconds"
BACKUP_DURATION: Final = "todochat_backup_duration_seconds"
BACKUP_SIZE: Final = "todochat_backup_size_bytes"
RESTORE_DRILL_LAST_RUN: Final = "todochat_restore_drill_last_run_timestamp_seconds"
RESTORE_DRILL_SUCCESS: Final = "todochat_restore_drill_success"  # gauge 0/1 of the last drill
RESTORE_DRILL_RTO: Final = "todochat_restore_drill_rto_seconds"
RESTORE_DRILL_RPO: Final = "todochat_restore_drill_rpo_seconds"

# --- SLO state exported by the app ---
SLO_ERROR_BUDGET_REMAINING: Final = "todochat_slo_error_budget_remaining_ratio"  # gauge, label slo
SLO_BURN_RATE: Final = "todochat_slo_burn_rate"  # gauge, labels slo + window
SLO_SLI: Final = "todochat_slo_sli_ratio"  # gauge, label slo
SLO_EXHAUSTION: Final = "todochat_slo_error_budget_exhaustion_seconds"  # gauge, label slo: time to exhaustion
# gauge, labels slo + step + action: the budget policy's action per SLO (0 none, 1 notify, 2 freeze_features,
# 3 freeze_all); max() over SLOs is the decision a deploy gets
SLO_POLICY_ACTION: Final = "todochat_slo_error_budget_policy_action"

# --- Prometheus rule names (recorded by alerts/*.yaml) and the labels they add ---
LABEL_LE: Final = "le"  # histogram bucket upper bound
LABEL_INSTANCE: Final = "instance"  # added by Prometheus to every scraped series
LABEL_ALERTNAME: Final = "alertname"  # added by Prometheus to every alert
LABEL_QUANTILE: Final = "quantile"
LABEL_SIGNAL: Final = "signal"  # scaling signal: cpu, memory, request_rate, response_time
LABEL_STEP: Final = "step"  # budget policy step name ("" when no step applies)
LABEL_ACTION: Final = "action"  # budget policy action: none, notify, freeze_features, freeze_all
RULE_SLO_ERROR_RATIO: Final = "slo:error_ratio"  # labels slo + window: bad / total events
RULE_SLO_EVENTS: Final = "slo:events"  # labels slo + window: total events (low-traffic guard)
RULE_SLO_BURN_RATE: Final = "slo:burn_rate"  # labels slo + window: error ratio / error budget
RULE_SLO_OBJECTIVE: Final = "slo:objective_ratio"  # label slo
RULE_SLO_BUDGET_REMAINING: Final = "slo:error_budget_remaining_ratio"  # label slo, over the SLO period
RULE_SLO_LATENCY: Final = "slo:latency_seconds"  # labels slo + window + quantile
RULE_SLO_GAUGE: Final = "slo:recovery_seconds"  # label slo: the measured RTO/RPO or evidence age
RULE_SLO_EXHAUSTION: Final = "slo:error_budget_exhaustion_seconds"  # labels slo + window: budget left / burn
RULE_SCALING_UTILISATION: Final = "scaling:utilisation_ratio"  # labels instance + signal: value / threshold
RULE_LLM_SPEND: Final = "llm:spend_usd"  # label window: model spend over the window, all models
ALERT_BURN_RATE: Final = "SLOErrorBudgetBurn"
ALERT_RECOVERY_OBJECTIVE: Final = "RecoveryObjectiveBreached"
ALERT_RECOVERY_STALE: Final = "RecoveryEvidenceStale"
ALERT_RECOVERY_FAILED: Final = "RestoreDrillFailed"
ALERT_ROLLBACK: Final = "RollbackTrigger"
ALERT_SCALE_OUT: Final = "ScaleOutSignal"
RULE_MAINTENANCE_ACTIVE: Final = "slo:maintenance:active"  # 1 inside a maintenance window, else 0
RULE_MAINTENANCE_NEXT_START: Final = "slo:maintenance:next_start_timestamp_seconds"  # the next window's start
ALERT_UPCOMING_MAINTENANCE: Final = "UpcomingMaintenance"
TIME_INTERVAL_MAINTENANCE: Final = "maintenance"  # Alertmanager time interval muting the lower tiers
ALERT_EXHAUSTION: Final = "ErrorBudgetExhaustionForecast"
ALERT_SPEND_OVER_BUDGET: Final = "LLMDailySpendOverBudget"  # the last day's model spend above the daily budget
ALERT_SPEND_PACE: Final = "LLMSpendPaceHigh"  # the last hour's spend, as a day, above a multiple of the budget

# --- Span names and attributes (OpenTelemetry GenAI / MCP semantic conventions) ---
SPAN_INVOKE_AGENT: Final = "invoke_agent"
SPAN_CHAT: Final = "chat"  # "chat {model}"
SPAN_EXECUTE_TOOL: Final = "execute_tool"  # "execute_tool {name}"
ATTR_CONVERSATION_ID: Final = "gen_ai.conversation.id"
ATTR_OPERATION_NAME: Final = "gen_ai.operation.name"
ATTR_PROVIDER_NAME: Final = "gen_ai.provider.name"
ATTR_REQUEST_MODEL: Final = "gen_ai.request.model"
ATTR_RESPONSE_MODEL: Final = "gen_ai.response.model"
ATTR_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
ATTR_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
ATTR_CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
ATTR_COST_USD: Final = "todochat.cost.usd"  # list-price cost of a model call (chat span) or a whole turn (agent)
ATTR_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
ATTR_TOOL_NAME: Final = "gen_ai.tool.name"
ATTR_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
ATTR_AGENT_NAME: Final = "gen_ai.agent.name"
ATTR_ERROR_TYPE: Final = "error.type"
PROVIDER_GEMINI: Final = "gcp.gemini"
PROVIDER_OFFLINE: Final = "todochat.offline"
