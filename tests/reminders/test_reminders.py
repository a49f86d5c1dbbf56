"""The reminders worker: each due reminder sent once, late ones marked, old rows purged after their windows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.db.models import Task, TaskChange, User, UserEvent
from app.db.session import create_engine, create_sessionmaker
from app.worker.reminders import ReminderWorker
from telemetry import metrics


async def new_user(db: AsyncEngine) -> uuid.UUID:
    async with AsyncSession(db, expire_on_commit=False) as session:
        user = User(email=f"r-{uuid.uuid4().hex[:12]}@example.com", password_hash="x")
        session.add(user)
        await session.commit()
        return user.id


async def add_tasks(db: AsyncEngine, user_id: uuid.UUID, count: int, **fields: object) -> list[int]:
    async with AsyncSession(db, expire_on_commit=False) as session:
        tasks = [Task(user_id=user_id, title=f"task {n}", **fields) for n in range(count)]
        session.add_all(tasks)
        await session.commit()
        return [task.id for task in tasks]


async def reminder_events(db: AsyncEngine, user_id: uuid.UUID) -> list[dict[str, object]]:
    async with AsyncSession(db, expire_on_commit=False) as session:
        rows = await session.scalars(
            select(UserEvent).where(UserEvent.user_id == user_id, UserEvent.kind == "reminder").order_by(UserEvent.id)
        )
        return [row.payload for row in rows]


async def test_two_workers_racing_send_each_due_reminder_exactly_once(
    db: AsyncEngine, worker_settings: Settings
) -> None:
    user_id = await new_user(db)
    ids = await add_tasks(db, user_id, 60, remind_at=datetime.now(UTC) - timedelta(seconds=5))
    engines = [create_engine(worker_settings) for _ in range(2)]
    try:
        workers = [ReminderWorker(create_sessionmaker(engine), worker_settings) for engine in engines]
        await asyncio.gather(*(worker.send_due() for worker in workers for _ in range(3)))
    finally:
        for engine in engines:
            await engine.dispose()
    sent = [payload["task_id"] for payload in await reminder_events(db, user_id)]
    assert sorted(sent) == sorted(ids)


async def test_a_reminder_missed_during_downtime_goes_out_once_marked_late(
    db: AsyncEngine, worker_settings: Settings
) -> None:
    user_id = await new_user(db)
    remind_at = datetime.now(UTC) - timedelta(hours=1)
    [task_id] = await add_tasks(db, user_id, 1, remind_at=remind_at, due_at=remind_at + timedelta(minutes=30))
    late_before = metrics.reminders_sent.labels("true")._value.get()
    lateness_before = metrics.reminder_lateness._sum.get()
    worker = ReminderWorker(create_sessionmaker(db), worker_settings)
    await worker.send_due()
    await worker.send_due()
    [payload] = await reminder_events(db, user_id)
    assert payload["task_id"] == task_id
    assert payload["late"] is True
    assert 3590 < float(str(payload["lateness_seconds"])) < 3700
    assert metrics.reminders_sent.labels("true")._value.get() == late_before + 1
    assert metrics.reminder_lateness._sum.get() - lateness_before > 3590


async def test_completed_deleted_future_and_already_sent_reminders_are_not_sent(
    db: AsyncEngine, worker_settings: Settings
) -> None:
    user_id = await new_user(db)
    now = datetime.now(UTC)
    await add_tasks(db, user_id, 1, remind_at=now - timedelta(seconds=1), completed=True)
    await add_tasks(db, user_id, 1, remind_at=now - timedelta(seconds=1), deleted_at=now)
    await add_tasks(db, user_id, 1, remind_at=now + timedelta(hours=1))
    await add_tasks(db, user_id, 1, remind_at=now - timedelta(seconds=1), reminded_at=now)
    [on_time] = await add_tasks(db, user_id, 1, remind_at=now - timedelta(seconds=1))
    await ReminderWorker(create_sessionmaker(db), worker_settings).send_due()
    [payload] = await reminder_events(db, user_id)
    assert payload["task_id"] == on_time
    assert payload["late"] is False


async def test_purge_removes_only_rows_past_their_windows(db: AsyncEngine, worker_settings: Settings) -> None:
    user_id = await new_user(db)
    now = datetime.now(UTC)
    old_deleted = await add_tasks(db, user_id, 4, deleted_at=now - timedelta(hours=25))
    recent_deleted = await add_tasks(db, user_id, 1, deleted_at=now - timedelta(hours=23))
    live = await add_tasks(db, user_id, 1)
    async with AsyncSession(db, expire_on_commit=False) as session:
        for age in (timedelta(hours=25), timedelta(hours=23)):
            session.add(
                TaskChange(user_id=user_id, action="created", summary="s", before=[], after=[], created_at=now - age)
            )
        for age in (timedelta(minutes=61), timedelta(minutes=59)):
            session.add(UserEvent(user_id=user_id, kind="tasks", payload={}, created_at=now - age))
        await session.commit()
    await ReminderWorker(create_sessionmaker(db), worker_settings).purge()
    async with AsyncSession(db, expire_on_commit=False) as session:
        task_ids = set(await session.scalars(select(Task.id).where(Task.user_id == user_id)))
        changes = await session.scalar(select(func.count()).where(TaskChange.user_id == user_id))
        events = await session.scalar(select(func.count()).where(UserEvent.user_id == user_id))
    assert task_ids == set(recent_deleted + live)
    assert not task_ids & set(old_deleted)
    assert changes == 1
    assert events == 1
