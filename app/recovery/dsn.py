"""Connection strings for libpq tools (pg_dump, pg_restore) and asyncpg, derived from DATABASE_URL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

from app.core.config import normalize_database_url
from app.recovery.errors import RecoveryConfigError


@dataclass(frozen=True)
class PostgresTarget:
    """One PostgreSQL database, as libpq tools and asyncpg each want to be told about it."""

    url: URL

    @classmethod
    def from_database_url(cls, database_url: str) -> PostgresTarget:
        """Parse DATABASE_URL (libpq or SQLAlchemy style).

        Raises:
            RecoveryConfigError: the URL is not a PostgreSQL URL.
        """
        try:
            url = make_url(normalize_database_url(database_url))
        except ValueError as err:
            raise RecoveryConfigError(str(err)) from err
        if not url.drivername.startswith("postgresql"):
            raise RecoveryConfigError(
                f"backups need PostgreSQL, but DATABASE_URL points at {url.drivername!r} "
                "(set DATABASE_URL=postgresql://user@host:5432/dbname)"
            )
        if not url.database:
            raise RecoveryConfigError("DATABASE_URL names no database")
        return cls(url)

    @property
    def database(self) -> str:
        return self.url.database or ""

    def with_database(self, name: str) -> PostgresTarget:
        """The same server, another database."""
        return PostgresTarget(self.url.set(database=name))

    def _libpq_url(self, *, with_password: bool) -> URL:
        query = dict(self.url.query)
        ssl = query.pop("ssl", None)
        if ssl is not None:
            query["sslmode"] = ssl
        url = self.url.set(drivername="postgresql", query=query)
        return url if with_password else url.set(password=None)

    def libpq_dsn(self) -> str:
        """A libpq URL without the password, safe to put on a command line (the password goes in `env`)."""
        return self._libpq_url(with_password=False).render_as_string(hide_password=False)

    def libpq_env(self) -> dict[str, str]:
        """Environment for libpq tools: the password, so it never shows in a process listing."""
        return {"PGPASSWORD": str(self.url.password)} if self.url.password else {}

    def asyncpg_dsn(self) -> str:
        """A DSN asyncpg accepts (it understands libpq's sslmode)."""
        return self._libpq_url(with_password=True).render_as_string(hide_password=False)

    def describe(self) -> str:
        """host:port/database, for messages."""
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}/{self.database}"
