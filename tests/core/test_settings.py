"""Settings: database URLs as hosting providers hand them out, secrets in production, CORS, the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.core.config import DEFAULT_SECRET_KEY, Settings, SettingsError, get_settings, normalize_database_url
from app.db.pool import WarmQueuePool
from app.db.session import create_engine
from tests.api.helpers import running_app
from tests.conftest import make_settings

NEON = "postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname"
GOOD_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings read only what a test sets: no developer .env file, no inherited variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("APP_ENV", "DATABASE_URL", "SECRET_KEY", "CORS_ORIGINS", "REDIS_URL", "DB_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            f"{NEON}?sslmode=require&channel_binding=require",
            "postgresql+asyncpg://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?ssl=require",
            id="neon_url_with_sslmode_and_channel_binding_becomes_asyncpg_with_ssl",
        ),
        pytest.param(
            f"{NEON}?sslmode=verify-full",
            "postgresql+asyncpg://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?ssl=verify-full",
            id="verify_full_is_kept",
        ),
        pytest.param(
            "postgres://u:p@db.internal:6543/app",
            "postgresql+asyncpg://u:p@db.internal:6543/app",
            id="heroku_style_postgres_scheme_becomes_asyncpg",
        ),
        pytest.param(
            "postgresql://u:p@h/app?connect_timeout=10",
            "postgresql+asyncpg://u:p@h/app?timeout=10",
            id="libpq_connect_timeout_becomes_asyncpg_timeout",
        ),
        pytest.param(
            "postgresql+asyncpg://u:p@h/app?ssl=require",
            "postgresql+asyncpg://u:p@h/app?ssl=require",
            id="an_asyncpg_url_is_left_alone",
        ),
        pytest.param("sqlite:///./todochat.db", "sqlite+aiosqlite:///./todochat.db", id="sqlite_gets_the_async_driver"),
        pytest.param(
            "sqlite+aiosqlite:////var/lib/todochat.db",
            "sqlite+aiosqlite:////var/lib/todochat.db",
            id="aiosqlite_is_left_alone",
        ),
    ],
)
def test_database_urls_are_turned_into_async_driver_urls(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param("not a url", "DATABASE_URL is not a database URL", id="garbage"),
        pytest.param(f"{NEON}?sslmode=sometimes", "unknown sslmode 'sometimes'", id="unknown_sslmode"),
    ],
)
def test_an_unusable_database_url_is_refused_with_the_reason(given: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(database_url=given)


def test_the_neon_url_from_the_environment_gives_asyncpg_an_ssl_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"{NEON}?sslmode=require&channel_binding=require")
    settings = Settings()
    # The dialect's own translation of the URL into asyncpg.connect() arguments (no connection is made).
    _, kwargs = create_async_engine(settings.database_url).dialect.create_connect_args(make_url(settings.database_url))
    assert kwargs["ssl"] == "require"
    assert kwargs["host"] == "ep-cool-darkness-123456.us-east-2.aws.neon.tech"
    assert kwargs["user"] == "alex"
    assert kwargs["password"] == "AbC123dEf"
    assert "sslmode" not in kwargs
    assert "channel_binding" not in kwargs


@pytest.mark.postgres
async def test_sslmode_reaches_the_postgres_driver(postgres_url: str) -> None:
    """The local server has TLS off: `require` must fail for that reason, while `prefer` and `disable` connect."""
    libpq_url = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def select_one(sslmode: str) -> int:
        engine = create_engine(make_settings(f"{libpq_url}?sslmode={sslmode}&channel_binding=prefer"))
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(text("SELECT 1"))).scalar_one())
        finally:
            await engine.dispose()

    assert await select_one("disable") == 1
    assert await select_one("prefer") == 1
    with pytest.raises(Exception, match=r"(?i)ssl"):
        await select_one("require")


def test_the_default_database_is_the_embedded_sqlite_file() -> None:
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./todochat.db"
    assert settings.is_sqlite


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(None, id="missing"),
        pytest.param(DEFAULT_SECRET_KEY, id="the_built_in_default"),
        pytest.param("", id="empty"),
        pytest.param("x" * 31, id="shorter_than_32_characters"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    if secret is not None:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "SECRET_KEY must be set to a random value of at least 32 characters when APP_ENV=production" in message
    assert "openssl rand" in message


def test_production_starts_with_a_long_random_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    settings = Settings()
    assert settings.secret_key.get_secret_value() == GOOD_SECRET
    assert settings.secure_cookies
    assert GOOD_SECRET not in repr(settings)


def test_development_runs_with_the_default_secret_key() -> None:
    settings = Settings()
    assert settings.app_env == "development"
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
    assert not settings.secure_cookies


def test_the_deployment_spec_defaults_are_the_settings_defaults() -> None:
    settings = Settings()
    assert settings.algorithm == "HS256"
    assert settings.access_token_expire_minutes == 30
    assert settings.refresh_token_expire_days == 7
    assert settings.session_max_hours == 24
    assert settings.rate_limit_per_minute == 100
    assert (settings.db_pool_size, settings.db_max_overflow) == (5, 15)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("https://app.example.com", ["https://app.example.com"], id="one_origin"),
        pytest.param(
            "https://app.example.com, http://localhost:3000,",
            ["https://app.example.com", "http://localhost:3000"],
            id="comma_list_with_spaces_and_a_trailing_comma",
        ),
        pytest.param(
            '["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"], id="json"
        ),
        pytest.param("", [], id="empty"),
    ],
)
def test_cors_origins_are_read_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: list[str]
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", given)
    assert Settings().cors_origins == expected


@pytest.mark.postgres
async def test_the_running_apps_postgres_pool_keeps_5_open_and_grows_to_20(postgres_url: str) -> None:
    async with running_app(make_settings(postgres_url)) as app:
        engine = app.state.runtime.engine
        pool = engine.pool
        assert isinstance(pool, WarmQueuePool)
        assert (pool.size(), pool._max_overflow, pool._recycle) == (5, 15, 1800)
        assert (pool.idle_seconds, pool.ping_after_seconds) == (60, 1.0)
        # Twenty at once, all real; the twenty-first waits for one of them (pool_timeout), never a 21st connection.
        held: list[AsyncConnection] = []
        try:
            for _ in range(20):
                conn = await engine.connect()
                held.append(conn)
                assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            assert pool.checkedout() == 20
            assert pool.overflow() == 15
        finally:
            for conn in held:
                await conn.close()
        # All twenty stay open for DB_POOL_IDLE_SECONDS (tests/db/test_pool.py closes them).
        assert (pool.checkedin(), pool.checkedout()) == (20, 0)


@pytest.mark.postgres
async def test_a_connection_the_server_dropped_is_replaced_before_a_request_uses_it(postgres_url: str) -> None:
    # What a PostgreSQL restart or a Neon compute suspend does to idle pooled connections: the ping on checkout
    # finds them dead and the pool reconnects, so no statement fails.
    engine = create_engine(Settings(database_url=postgres_url))
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await asyncio.sleep(1.1)  # idle long enough to be pinged (app.db.pool.DEFAULT_PING_AFTER_SECONDS)
        admin = await asyncpg.connect(_asyncpg_dsn(postgres_url))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
        finally:
            await admin.close()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_get_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_get_settings")
@pytest.mark.parametrize(
    ("variables", "explanation", "secret"),
    [
        pytest.param(
            {"APP_ENV": "production", "SECRET_KEY": "short-secret-value"},
            "SECRET_KEY must be set to a random value of at least 32 characters",
            "short-secret-value",
            id="short_secret_key",
        ),
        pytest.param(
            {"DATABASE_URL": "postgresql://app:db-password-value@db/app?sslmode=sometimes"},
            "DATABASE_URL: DATABASE_URL has an unknown sslmode 'sometimes'",
            "db-password-value",
            id="database_url_with_a_password",
        ),
    ],
)
def test_invalid_settings_are_explained_without_repeating_their_values(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], explanation: str, secret: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        get_settings()
    message = str(caught.value)
    assert message.startswith("The settings are not valid: ")
    assert explanation in message
    assert secret not in message
    # pydantic's own error, which would print the values, is not attached either.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.usefixtures("fresh_get_settings")
def test_an_unparseable_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "many")
    with pytest.raises(SettingsError, match="DB_POOL_SIZE: Input should be a valid integer"):
        get_settings()
