"""Helpers for the storage tests: an open SQL store on a URL, and one-call units of work."""

from collections.abc import AsyncGenerator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from taskservice.adapters.sql.store import SqlStore
from taskservice.domain.listing import ALL_STATUSES, TaskQuery
from taskservice.domain.task import Task, TaskDraft, TaskStatus
from taskservice.ports.unit_of_work import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def draft(title: str, *, status: TaskStatus = TaskStatus.NEW, priority: int = 3) -> TaskDraft:
    return TaskDraft(title=title, description=None, status=status, priority=priority)


@asynccontextmanager
async def opened(url: str, **options: Any) -> AsyncGenerator[SqlStore]:
    """A `SqlStore` on `url` with `options`, migrated and open for the block."""
    store = SqlStore(url, **options)
    await store.open(migrate=True)
    try:
        yield store
    finally:
        await store.close()


async def add(store: Store, title: str, *, status: TaskStatus = TaskStatus.NEW, priority: int = 3) -> Task:
    async with store.unit_of_work() as work:
        task = await work.tasks.add(draft(title, status=status, priority=priority), NOW)
        await work.commit()
    return task


async def get(store: Store, task_id: int) -> Task | None:
    async with store.unit_of_work() as work:
        return await work.tasks.get(task_id)


async def change(store: Store, task_id: int, **fields: Any) -> Task | None:
    """Change `fields` of the task as the use cases do (read for update, write, commit); None if gone."""
    async with store.unit_of_work() as work:
        current = await work.tasks.get(task_id, for_update=True)
        if current is None:
            return None
        updated = msgspec.structs.replace(current, **fields, version=current.version + 1)
        await work.tasks.update(updated, fields.keys())
        await work.commit()
    return updated


async def remove(store: Store, task_id: int) -> Task | None:
    async with store.unit_of_work() as work:
        task = await work.tasks.remove(task_id)
        await work.commit()
    return task


async def listed(
    store: Store, statuses: Iterable[TaskStatus] = ALL_STATUSES, *, limit: int = 100
) -> tuple[list[Task], int]:
    """The first page of tasks with these statuses, and the list's total."""
    async with store.unit_of_work() as work:
        page = await work.tasks.list(TaskQuery(statuses=frozenset(statuses), limit=limit))
    return page.items, page.total
