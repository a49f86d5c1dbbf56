"""The service's exceptions. Translated to HTTP (app.api.errors) or MCP tool errors only at the edge."""

from __future__ import annotations


class AppError(Exception):
    """Base of every expected failure; `code` is a stable machine-readable name."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


class LLMUnavailable(ServiceUnavailable):
    code = "model_unavailable"


class ToolsUnavailable(ServiceUnavailable):
    code = "tools_unavailable"
