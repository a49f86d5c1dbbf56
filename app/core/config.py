"""Settings: one typed object, read from the environment (names from the deployment spec)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.agent.pricing import load_prices

# Long enough for HS256 (32 bytes) so development runs without key-length warnings; refused in production.
DEFAULT_SECRET_KEY = "insecure-development-key-change-me-in-production"  # noqa: S105 - refused in production
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./todochat.db"

# libpq's sslmode values that ask for TLS, mapped onto what asyncpg's `ssl` argument accepts.
_SSLMODES = {"require", "verify-ca", "verify-full", "prefer", "allow", "disable"}
_POSTGRES_DRIVERS = {
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
}


def normalize_database_url(url: str) -> str:
    """Turn a libpq-style URL (as Neon hands it out) into one SQLAlchemy's async drivers accept.

    `postgres://` and `postgresql://` become `postgresql+asyncpg://`; `sslmode=` becomes asyncpg's `ssl=` and
    `connect_timeout=` its `timeout=`; libpq-only parameters asyncpg does not understand (`channel_binding`) are
    dropped.

    Raises:
        ValueError: the URL cannot be parsed or names an unknown sslmode.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ValueError(f"DATABASE_URL is not a database URL: {err}") from err
    driver = parsed.drivername
    if driver == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if driver not in _POSTGRES_DRIVERS:
        return url
    query = dict(parsed.query)
    sslmode = query.pop("sslmode", None)
    query.pop("channel_binding", None)
    if "connect_timeout" in query:
        query["timeout"] = query.pop("connect_timeout")
    if sslmode is not None:
        if sslmode not in _SSLMODES:
            raise ValueError(f"DATABASE_URL has an unknown sslmode {sslmode!r}")
        query["ssl"] = sslmode
    return parsed.set(drivername="postgresql+asyncpg", query=query).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_env: Literal["development", "test", "staging", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=15, ge=0)
    db_pool_recycle_seconds: int = Field(default=1800, ge=1)
    # How long a connection above DB_POOL_SIZE stays open unused before it is closed.
    db_pool_idle_seconds: float = Field(default=60.0, ge=0)
    # Ping a connection that sat unused for a second or more before use, so one the server dropped is replaced.
    db_pool_pre_ping: bool = True

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    algorithm: Literal["HS256"] = "HS256"
    access_token_expire_minutes: int = Field(default=30, ge=1)
    refresh_token_expire_days: int = Field(default=7, ge=1)
    session_max_hours: int = Field(default=24, ge=1)
    # How long a read trusts a positive "this session is active" answer before asking the database again (0: always
    # ask). Sign-outs on this instance or through Redis are seen at once; elsewhere within this many seconds.
    active_session_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    active_session_cache_entries: int = Field(default=100_000, ge=1)
    # Young-generation threshold of the garbage collector once start-up is done (app.core.collector); 700 is
    # CPython's own, 0 switches automatic collection off.
    gc_young_threshold: int = Field(default=20_000, ge=0)

    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout_seconds: float = Field(default=30.0, gt=0)
    gemini_max_attempts: int = Field(default=3, ge=1)
    # Prices per model laid over app.agent.pricing's list-price table: inline JSON or the path of a JSON file,
    # {"model": {"input": USD, "output": USD, "cached_input": USD}} per million tokens.
    gemini_prices: str | None = None
    agent_max_rounds: int = Field(default=6, ge=1)
    chat_history_messages: int = Field(default=20, ge=0)

    mcp_server_url: str | None = None
    # How chat turns reach an MCP server mounted in this process: "memory" (the SDK's in-memory transport) or
    # "http" (a loopback request through the whole stack, as an external client's; kept to compare and fall back).
    mcp_local_transport: Literal["memory", "http"] = "memory"
    # Compiled tool output-schema validators kept for the process rather than rebuilt by each turn's MCP session
    # (app/mcp/validators.py); false gives the SDK's own per-session behaviour back.
    mcp_share_output_validators: bool = True
    redis_url: str | None = None
    log_level: str = "INFO"
    sentry_dsn: SecretStr | None = None
    metrics_enabled: bool = True  # METRICS_ENABLED=false: no Prometheus instruments recorded, no /metrics
    telemetry_fast_path: bool = True  # TELEMETRY_FAST_PATH=false: the OpenTelemetry SDK's own spans and export
    # NoDecode: the environment gives a comma-separated list, which is not JSON.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Where the web UI's own telemetry goes (the collector's OTLP/HTTP receiver, the browser's Sentry DSN): the
    # page's Content-Security-Policy lets it connect there, as it does to SENTRY_DSN's host.
    ui_telemetry_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=100, ge=1)
    rate_limit_login_per_minute: int = Field(default=10, ge=1)
    rate_limit_chat_per_minute: int = Field(default=20, ge=1)
    # None: on everywhere except APP_ENV=test, where suites opt in with rate_limit_enabled=True.
    rate_limit_enabled: bool | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_json_depth: int = Field(default=32, ge=1)
    frontend_dir: str | None = None
    # SLO spec whose `maintenance:` windows GET /api/v1/maintenance announces; default the packaged spec.
    slo_spec_path: Path | None = None

    # Reminders worker (app.worker): REMINDER_WORKER=false keeps it out of `todochat serve`, for deployments that
    # run `todochat worker` on its own. Several workers may run at once: each reminder is still claimed once.
    reminder_worker: bool = True
    reminder_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    reminder_batch_size: int = Field(default=100, ge=1, le=10_000)
    # A reminder sent more than this long after its time is marked `late` (missed while everything was down).
    reminder_late_seconds: float = Field(default=60.0, ge=0)
    purge_every_seconds: float = Field(default=60.0, gt=0)
    purge_batch_size: int = Field(default=500, ge=1, le=100_000)
    # Event streams (GET /api/v1/events): how often each process reads new user_events rows for its subscribers.
    events_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    events_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Events a slow client may fall behind by before its stream is ended (it reconnects and resumes from the table).
    events_queue_size: int = Field(default=256, ge=1)

    @field_validator("cors_origins", "ui_telemetry_urls", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("gemini_api_key", "sentry_dsn", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("gemini_prices")
    @classmethod
    def _readable_prices(cls, value: str | None) -> str | None:
        load_prices(value)  # PricesError is a ValueError: a bad table stops the start with its reason
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.app_env == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} characters "
                    "when APP_ENV=production (make one with: openssl rand -base64 48)"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.app_env not in {"development", "test"}


class SettingsError(ValueError):
    """The environment holds settings the service cannot run with; the message says which and why."""


def describe(err: ValidationError) -> str:
    """A person-readable account of invalid settings that never repeats their values (they may be secrets)."""
    problems = []
    for error in err.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {message}" if field else message)
    return "The settings are not valid: " + "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache or override the dependency.

    Raises:
        SettingsError: a setting is missing or wrong (for example a default SECRET_KEY in production).
    """
    try:
        return Settings()
    except ValidationError as err:
        # `from None`: pydantic's own error would print the offending values, secrets included.
        raise SettingsError(describe(err)) from None
    except SourceError as err:
        raise SettingsError(f"The settings are not valid: {err}") from None
