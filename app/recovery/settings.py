"""Settings for backups and restore drills, read from the same environment as the service.

The database is the service's own: DATABASE_URL is read once, by `app.core.config.Settings`, and taken from there.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from app.core.config import get_settings, normalize_database_url
from app.recovery.tiers import Tier


class RecoverySettings(BaseSettings):
    """Where backups go, how long they are kept, how they are encrypted, and which tier's objectives apply."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Not read from the environment (see settings_customise_sources): a caller may still name another database.
    database_url: str = Field(default_factory=lambda: get_settings().database_url)
    backup_dir: Path = Path("./var/backups")
    # Server the drill restores into (a scratch database is created and dropped there); default DATABASE_URL's.
    restore_drill_database_url: str | None = None
    # Base64 of 32 random bytes (`openssl rand -base64 32`); unset means backups are stored unencrypted.
    backup_encryption_key: SecretStr | None = None
    # Successful backups kept; run daily, the default keeps 30 daily backups.
    backup_retention: int = Field(default=30, ge=1)
    restore_drill_retention: int = Field(default=90, ge=1)
    # node-exporter textfile-collector file; defaults to <backup_dir>/todochat_recovery.prom.
    backup_metrics_textfile: Path | None = None
    recovery_tier: Tier = "critical"
    # Explicit objectives override the tier's (from the SLO spec, else the deployment spec).
    recovery_rto_seconds: float | None = Field(default=None, gt=0)
    recovery_rpo_seconds: float | None = Field(default=None, gt=0)
    # SLO spec whose gauge objectives give the RTO/RPO per tier; default the packaged spec.
    slo_spec_path: Path | None = None
    # Directory holding pg_dump / pg_restore when they are not on PATH (e.g. /usr/lib/postgresql/16/bin).
    pg_bin_dir: Path | None = None
    pg_dump_timeout_seconds: float = Field(default=3600, gt=0)
    pg_restore_timeout_seconds: float = Field(default=3600, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # A second reading of DATABASE_URL could disagree with the service's (a test's override, a changed .env).
        return (
            init_settings,
            _Without(env_settings, "database_url"),
            _Without(dotenv_settings, "database_url"),
            file_secret_settings,
        )

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator(
        "backup_encryption_key",
        "pg_bin_dir",
        "backup_metrics_textfile",
        "restore_drill_database_url",
        "slo_spec_path",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def metrics_textfile(self) -> Path:
        return self.backup_metrics_textfile or self.backup_dir / "todochat_recovery.prom"


class _Without(PydanticBaseSettingsSource):
    """Another settings source, minus some fields."""

    def __init__(self, source: PydanticBaseSettingsSource, *fields: str) -> None:
        super().__init__(source.settings_cls)
        self._source = source
        self._fields = frozenset(fields)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ asks the wrapped source for everything at once

    def __call__(self) -> dict[str, Any]:
        return {name: value for name, value in self._source().items() if name not in self._fields}


@lru_cache
def get_recovery_settings() -> RecoverySettings:
    """The process-wide recovery settings."""
    return RecoverySettings()
