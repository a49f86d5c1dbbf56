"""Planning: time zones, due dates, priorities, tags, recurrence, reminders, soft delete, change log, events, search.

Existing tasks keep their data: priorities are clamped to the four named levels, tags lower-cased without '#'
and trimmed to the new limits. On SQLite the tasks table is rebuilt with AUTOINCREMENT so that a deleted task's
number is never handed out again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_TAGS = 10
MAX_TAG_LENGTH = 32
# The search document: title and description, English stemming. The query side builds the same expression.
PG_SEARCH_INDEX = (
    "CREATE INDEX ix_tasks_search ON tasks USING gin "
    "(to_tsvector('english', title || ' ' || coalesce(description, '')))"
)
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, description, content='tasks', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN "
    "INSERT INTO tasks_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN "
    "INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); "
    "END",
    "CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN "
    "INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO tasks_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild')",
]


def _normalise_tags(tags: object) -> list[str] | None:
    if not isinstance(tags, list):
        return None
    clean: list[str] = []
    for tag in tags:
        name = str(tag).strip().lstrip("#").strip().lower()[:MAX_TAG_LENGTH]
        if name and name not in clean:
            clean.append(name)
    return clean[:MAX_TAGS] or None


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))

    batch = {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}
    with op.batch_alter_table("tasks", **batch) as batch_op:  # type: ignore[arg-type]
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("recurrence", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remind_before", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_tasks_remind_at", ["remind_at"], unique=False)
        batch_op.create_index("ix_tasks_deleted_at", ["deleted_at"], unique=False)

    tasks = sa.table(
        "tasks", sa.column("id", sa.Integer), sa.column("priority", sa.Integer), sa.column("tags", sa.JSON)
    )
    op.execute(tasks.update().where(tasks.c.priority > 4).values(priority=4))
    op.execute(tasks.update().where(tasks.c.priority < 1).values(priority=1))
    for row in bind.execute(sa.select(tasks.c.id, tasks.c.tags).where(tasks.c.tags.is_not(None))).all():
        clean = _normalise_tags(row.tags)
        if clean != row.tags:
            bind.execute(tasks.update().where(tasks.c.id == row.id).values(tags=clean))

    op.create_table(
        "task_occurrences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_occurrences_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_occurrences")),
    )
    op.create_index("ix_task_occurrences_task_id", "task_occurrences", ["task_id"], unique=False)

    op.create_table(
        "task_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_task_changes_user_id_id", "task_changes", ["user_id", "id"], unique=False)
    op.create_index(
        "uq_task_changes_user_id_idempotency_key", "task_changes", ["user_id", "idempotency_key"], unique=True
    )

    op.create_table(
        "user_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_user_events_created_at", "user_events", ["created_at"], unique=False)

    if sqlite:
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(PG_SEARCH_INDEX)


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for trigger in ("tasks_fts_insert", "tasks_fts_delete", "tasks_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS tasks_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_tasks_search")
    op.drop_index("ix_user_events_created_at", table_name="user_events")
    op.drop_table("user_events")
    op.drop_index("uq_task_changes_user_id_idempotency_key", table_name="task_changes")
    op.drop_index("ix_task_changes_user_id_id", table_name="task_changes")
    op.drop_table("task_changes")
    op.drop_index("ix_task_occurrences_task_id", table_name="task_occurrences")
    op.drop_table("task_occurrences")
    # Deleted tasks were only hidden: going back to a schema without soft delete removes them for real.
    op.execute("DELETE FROM tasks WHERE deleted_at IS NOT NULL")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_deleted_at")
        batch_op.drop_index("ix_tasks_remind_at")
        for column in (
            "deleted_at",
            "reminded_at",
            "remind_before",
            "remind_at",
            "recurrence",
            "all_day",
            "completed_at",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("timezone")
