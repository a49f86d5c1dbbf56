"""Every series the SLOs and alert rules select, created at zero when the process starts.

Prometheus's increase() never counts a series' first sample: a label child created by the first 5xx of a
route would make that 5xx invisible to the error ratio. So each route x method x status class, each tool x
outcome and each model x known error type exists, at 0, before the first request. The sets are bounded: route
templates of the application, the methods each route takes (HEAD aside), three status classes, the tools in
telemetry.conventions and a short list of error types; docs/metrics.md gives the counts.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from telemetry import conventions as c
from telemetry import metrics

# 5xx are the bad events and 2xx nearly all the others. 4xx and 3xx are left out to halve the series: a missed
# first 4xx is one request short of the total, which only errs towards a higher error ratio.
INITIAL_STATUS_CLASSES = ("2xx", "5xx")
# API documentation pages: tooling, not traffic any objective is about.
_SKIPPED_ROUTES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
# What a mounted app (the MCP server, the web UI) may be asked.
_MOUNT_METHODS = {"/mcp": ("GET", "POST", "DELETE")}
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def route_methods(app: Starlette) -> set[tuple[str, str]]:
    """(route template, method) pairs as telemetry.middleware labels requests, for an application's routes.

    FastAPI's included routers are read through the OpenAPI document (its public view of every route's
    template); routes outside the schema (/metrics) and mounts are read from the top-level routes.
    """
    pairs: set[tuple[str, str]] = set()
    openapi = getattr(app, "openapi", None)
    if callable(openapi):
        for path, operations in openapi().get("paths", {}).items():
            pairs.update((path, method.upper()) for method in operations if method.upper() in _METHODS)
    for route in app.router.routes:
        if isinstance(route, Mount):
            for method in _MOUNT_METHODS.get(route.path, ("GET",)):
                pairs.add((f"{route.path}/{{path}}", method))
        elif isinstance(route, Route):
            pairs.update((route.path, method) for method in route.methods or () if method != "HEAD")
    return {(route, method) for route, method in pairs if route not in _SKIPPED_ROUTES}


def initialise_http(app: Starlette) -> int:
    """Create the request histogram's children for every route, method and status class; returns how many."""
    pairs = route_methods(app) | {(c.ROUTE_UNMATCHED, "GET"), (c.ROUTE_UNMATCHED, "POST")}
    for route, method in pairs:
        for status_class in INITIAL_STATUS_CLASSES:
            metrics.http_server_duration.labels(route, method, status_class)
    return len(pairs) * len(INITIAL_STATUS_CLASSES)


def initialise_model(provider: str, model: str) -> int:
    """Create the model-call histogram's children (success, and each known error type), time to first chunk and
    cost; returns how many."""
    for error_type in ("", *c.GEN_AI_ERROR_TYPES):
        metrics.gen_ai_operation_duration.labels("chat", provider, model, error_type)
    # the first streamed call and the first dollar count too
    metrics.gen_ai_time_to_first_chunk.labels("chat", provider, model)
    metrics.llm_cost.labels(provider, model)
    return 3 + len(c.GEN_AI_ERROR_TYPES)


def initialise_tools() -> int:
    """Create tool-call and chat-turn children for every tool and outcome; returns how many.

    The MCP server's own histogram is left to fill as it is used: no objective selects it.
    """
    made = 0
    for outcome in c.OUTCOMES:
        metrics.chat_turns.labels(outcome)
        metrics.chat_turn_duration.labels(outcome)
        made += 2
        for tool in (*c.TOOL_NAMES, c.TOOL_UNKNOWN):
            metrics.tool_call_duration.labels(tool, outcome)
            made += 1
    for late in ("true", "false"):
        metrics.reminders_sent.labels(late)
        made += 1
    return made
