"""List totals are kept per status in the same transaction as each write (see docs/performance.md):
they must always equal the number of matching tasks, on every store."""

import asyncio
from datetime import UTC, datetime

import msgspec
import pytest
from sqlalchemy import func, select

from taskservice.adapters.sql.migrations import create_engine
from taskservice.adapters.sql.store import SqlStore
from taskservice.adapters.sql.tables import tasks
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import TaskStatus, make_draft
from tests.contract.committed import Committed

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def totals(repository: Committed) -> dict[str, int]:
    """The list total for every single status, and for no filter ("all")."""
    out = {"all": (await repository.list(TaskQuery(limit=1))).total}
    for status in TaskStatus:
        out[status.value] = (await repository.list(TaskQuery(statuses=frozenset({status}), limit=1))).total
    return out


async def test_totals_follow_every_add_status_change_and_delete(repository: Committed) -> None:
    first = await repository.add(make_draft(title="One", priority=1), NOW)
    await repository.add(make_draft(title="Two", priority=2, status=TaskStatus.COMPLETED), NOW)
    await repository.add(make_draft(title="Three", priority=3), NOW)
    with pytest.raises(DuplicateTitle):
        await repository.add(make_draft(title="one", priority=1), NOW)
    assert await totals(repository) == {"all": 3, "new": 2, "in_progress": 0, "completed": 1}

    moved = msgspec.structs.replace(first, status=TaskStatus.IN_PROGRESS, version=2)
    await repository.update(moved, ("status",))
    retitled = msgspec.structs.replace(moved, title="One again", version=3)
    await repository.update(retitled, ("title",))  # same status: counts untouched
    assert await totals(repository) == {"all": 3, "new": 1, "in_progress": 1, "completed": 1}

    assert await repository.remove(first.id) is not None
    assert await repository.remove(first.id) is None
    assert await totals(repository) == {"all": 2, "new": 1, "in_progress": 0, "completed": 1}
    two_statuses = TaskQuery(statuses=frozenset({TaskStatus.NEW, TaskStatus.COMPLETED}))
    page = await repository.list(two_statuses)
    assert page.total == 2
    assert [t.title for t in page.items] == ["Three", "Two"]


async def test_concurrent_adds_keep_totals_equal_to_rows_on_a_sqlite_file(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    await store.open(migrate=True)
    repository = Committed(store)
    engine = create_engine(sqlite_url)
    try:
        titles = [f"Task {i % 30}" for i in range(40)]  # 10 collide with an earlier title
        statuses = list(TaskStatus)
        outcomes = await asyncio.gather(
            *(
                repository.add(make_draft(title=t, priority=1, status=statuses[i % 3]), NOW)
                for i, t in enumerate(titles)
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(o, DuplicateTitle) for o in outcomes) == 10
        async with engine.connect() as connection:
            rows = dict((await connection.execute(select(tasks.c.status, func.count()).group_by(tasks.c.status))).all())
        assert (await totals(repository))["all"] == 30
        assert {s: n for s, n in (await totals(repository)).items() if s != "all"} == {
            s.value: rows.get(s.value, 0) for s in TaskStatus
        }
    finally:
        await engine.dispose()
        await store.close()


async def test_a_sqlite_file_store_reopens_with_its_tasks_and_totals(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    await store.open(migrate=True)
    created = await Committed(store).add(make_draft(title="Durable", priority=4), NOW)
    await store.close()

    reopened = SqlStore(sqlite_url)
    await reopened.open(migrate=False)
    try:
        repository = Committed(reopened)
        assert await repository.get(created.id) == created
        assert await totals(repository) == {"all": 1, "new": 1, "in_progress": 0, "completed": 0}
    finally:
        await reopened.close()
