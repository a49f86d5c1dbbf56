"""What telemetry should do in this process, read once from the settings and the standard environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from telemetry import conventions as c

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


class TelemetrySettings(Protocol):
    """The part of app.core.config.Settings that telemetry reads."""

    @property
    def app_env(self) -> str: ...
    @property
    def log_level(self) -> str: ...
    @property
    def sentry_dsn(self) -> object: ...  # SecretStr | None


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """Everything telemetry needs to know, resolved; equal configs mean nothing to redo."""

    service_name: str
    environment: str
    release: str
    tracing: bool
    fast_path: bool  # telemetry.spans and telemetry.otlp; False: the SDK's own provider, processor and exporter
    otlp_traces_endpoint: str | None
    metrics: bool
    multiprocess_dir: str | None
    log_level: str
    log_json: bool
    sentry_dsn: str | None

    @classmethod
    def resolve(
        cls,
        settings: TelemetrySettings,
        *,
        service_name: str = c.SERVICE_NAME,
        environ: Mapping[str, str] | None = None,
        log_json: bool | None = None,
    ) -> TelemetryConfig:
        """Combine the settings with the OTEL_* and Prometheus variables of the environment."""
        env = os.environ if environ is None else environ
        dsn = settings.sentry_dsn
        secret = getattr(dsn, "get_secret_value", None)
        sentry_dsn = secret() if callable(secret) else (str(dsn) if dsn else None)
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
            endpoint = None
        return cls(
            service_name=env.get("OTEL_SERVICE_NAME") or service_name,
            environment=settings.app_env,
            release=env.get("APP_RELEASE") or _package_version(),
            tracing=not _flag(env.get("OTEL_SDK_DISABLED"), default=False),
            fast_path=_fast_path_enabled(settings, env),
            otlp_traces_endpoint=endpoint or None,
            metrics=_metrics_enabled(settings, env),
            multiprocess_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            log_level=(settings.log_level or "INFO").upper(),
            log_json=_log_json_default() if log_json is None else log_json,
            sentry_dsn=sentry_dsn or None,
        )


def _metrics_enabled(settings: TelemetrySettings, env: Mapping[str, str]) -> bool:
    # Settings read METRICS_ENABLED themselves; a settings object without the field falls back to the variable.
    enabled = getattr(settings, "metrics_enabled", None)
    if isinstance(enabled, bool):
        return enabled
    return _flag(env.get("METRICS_ENABLED"), default=True)


def _fast_path_enabled(settings: TelemetrySettings, env: Mapping[str, str]) -> bool:
    # As METRICS_ENABLED: Settings read TELEMETRY_FAST_PATH; other settings objects fall back to the variable.
    enabled = getattr(settings, "telemetry_fast_path", None)
    if isinstance(enabled, bool):
        return enabled
    return _flag(env.get("TELEMETRY_FAST_PATH"), default=True)


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return default


def _log_json_default() -> bool:
    forced = os.environ.get("LOG_FORMAT", "").strip().lower()
    if forced in {"json", "console"}:
        return forced == "json"
    try:
        return not os.isatty(1)
    except (OSError, ValueError):
        return True


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"todochat@{version('todochat')}"
    except PackageNotFoundError:
        return "todochat@unknown"
