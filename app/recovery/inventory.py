"""What a database holds, table by table: row counts, content checksums, schema version, newest row time.

Computed on the source inside the backup's snapshot and again on the restored copy; equal inventories mean
the restore brought back exactly what was dumped. The checksum is order-independent (a sum of per-row
hashes), so it does not depend on the physical order pg_restore loads rows in, and it needs no memory
beyond one row at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

SCHEMA = "public"
# Columns that say when a row was written; the newest of them bounds the data a restore brings back.
ROW_TIME_COLUMNS = ("created_at", "updated_at")
# Row text depends on these session settings, so both sides of a comparison pin them.
_STABLE_SESSION = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, MDY'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


@dataclass(frozen=True)
class TableState:
    """One table's row count and content checksum."""

    rows: int
    checksum: str


@dataclass(frozen=True)
class Inventory:
    """A database's tables, schema version and newest row time, as of one snapshot."""

    schema_version: str | None
    tables: dict[str, TableState]
    newest_row_at: datetime | None

    def differences(self, other: Inventory) -> list[str]:
        """Human-readable differences between this (expected) inventory and `other` (found)."""
        problems: list[str] = []
        if self.schema_version != other.schema_version:
            problems.append(f"schema version is {other.schema_version!r}, expected {self.schema_version!r}")
        missing = sorted(set(self.tables) - set(other.tables))
        extra = sorted(set(other.tables) - set(self.tables))
        if missing:
            problems.append(f"tables missing: {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected tables: {', '.join(extra)}")
        for name in sorted(set(self.tables) & set(other.tables)):
            want, got = self.tables[name], other.tables[name]
            if want.rows != got.rows:
                problems.append(f"table {name}: {got.rows} rows, expected {want.rows}")
            elif want.checksum != got.checksum:
                problems.append(f"table {name}: content checksum differs with the same row count ({got.rows})")
        return problems


def quote_ident(name: str) -> str:
    """A safely quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


async def stabilize_session(conn: asyncpg.Connection) -> None:
    """Pin the settings that change how rows print, so checksums compare across servers."""
    for statement in _STABLE_SESSION:
        await conn.execute(statement)


async def take_inventory(conn: asyncpg.Connection) -> Inventory:
    """The inventory as the connection's current snapshot sees it (call inside a transaction for consistency)."""
    await stabilize_session(conn)
    names: list[str] = [
        r["relname"]
        for r in await conn.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname""",
            SCHEMA,
        )
    ]
    tables = {name: await _table_state(conn, name) for name in names}
    version = None
    if "alembic_version" in tables:
        heads = [r["version_num"] for r in await conn.fetch("SELECT version_num FROM public.alembic_version")]
        version = ",".join(sorted(heads)) or None
    return Inventory(schema_version=version, tables=tables, newest_row_at=await _newest_row_at(conn))


async def _table_state(conn: asyncpg.Connection, name: str) -> TableState:
    # The first 64 bits of each row's md5, summed as numeric (no overflow): equal multisets of rows give
    # equal sums whatever order they are stored in.
    row: Any = await conn.fetchrow(
        f"""SELECT count(*) AS rows,
                   coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text AS total
            FROM {SCHEMA}.{quote_ident(name)} AS t"""  # noqa: S608 - identifier quoted, comes from pg_class
    )
    return TableState(rows=int(row["rows"]), checksum=f"md5sum64:{row['total']}")


async def _newest_row_at(conn: asyncpg.Connection) -> datetime | None:
    columns = await conn.fetch(
        """SELECT c.relname AS table_name, a.attname AS column_name
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attname = ANY($2::text[]) AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype)
           ORDER BY 1, 2""",
        SCHEMA,
        list(ROW_TIME_COLUMNS),
    )
    if not columns:
        return None
    parts = [
        f"SELECT max({quote_ident(r['column_name'])})::timestamptz AS at "  # noqa: S608 - identifiers quoted, from pg_catalog
        f"FROM {SCHEMA}.{quote_ident(r['table_name'])}"
        for r in columns
    ]
    newest: datetime | None = await conn.fetchval(f"SELECT max(at) FROM ({' UNION ALL '.join(parts)}) AS times")  # noqa: S608 - identifiers quoted, from pg_catalog
    return newest
