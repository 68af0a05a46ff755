"""Group commit through the task repository on a SQLite file: concurrent creates that share a
transaction still get the contract's answers one by one, and what was acknowledged is stored."""

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import Task, make_draft
from tests.strategies import list_titles

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def repository(sqlite_url: str) -> AsyncIterator[SqlTaskRepository]:
    engine = create_engine(sqlite_url)
    await upgrade_to_head(engine)
    try:
        yield SqlTaskRepository(engine)
    finally:
        await engine.dispose()


def _path(sqlite_url: str) -> str:
    return sqlite_url.removeprefix("sqlite+aiosqlite:///")


async def _create_all(repository: SqlTaskRepository, titles: Sequence[str]) -> list[Task | BaseException]:
    return await asyncio.gather(
        *(repository.add(make_draft(title=title, priority=i % 5 + 1), NOW) for i, title in enumerate(titles)),
        return_exceptions=True,
    )


async def _stored(repository: SqlTaskRepository) -> list[Task]:
    return list((await repository.list(TaskQuery(limit=500))).items)


async def test_concurrent_creates_in_one_transaction_each_get_their_own_answer(
    repository: SqlTaskRepository, sqlite_url: str
) -> None:
    await repository.add(make_draft(title="Taken", priority=1), NOW)  # opens the writer
    other = sqlite3.connect(_path(sqlite_url), isolation_level=None)
    try:
        # Another process holds SQLite's write lock: the first create waits for it in the writer,
        # and the others queue behind it, to run together once the lock is free.
        other.execute("BEGIN IMMEDIATE")
        first = asyncio.create_task(repository.add(make_draft(title="First", priority=2), NOW))
        await asyncio.sleep(0.05)
        titles = ["Alpha", "taken", "Beta", "ALPHA", " beta ", "Gamma", "alpha"]
        queued = asyncio.ensure_future(_create_all(repository, titles))
        await asyncio.sleep(0.05)
        other.execute("COMMIT")
        outcomes = await queued
        await first
    finally:
        other.close()

    created = [o for o in outcomes if isinstance(o, Task)]
    assert [o.title if isinstance(o, Task) else type(o) for o in outcomes] == [
        "Alpha",
        DuplicateTitle,
        "Beta",
        DuplicateTitle,
        DuplicateTitle,
        "Gamma",
        DuplicateTitle,
    ]
    assert len({task.id for task in created}) == 3
    stored = {task.id: task for task in await _stored(repository)}
    assert all(stored[task.id] == task for task in created)  # each caller got its own row back
    assert sorted(task.title for task in stored.values()) == ["Alpha", "Beta", "First", "Gamma", "Taken"]


async def test_acknowledged_concurrent_creates_are_stored_after_close_and_reopen(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    await upgrade_to_head(engine)
    outcomes = await _create_all(SqlTaskRepository(engine), [f"Task {i}" for i in range(200)])
    await engine.dispose()  # closes the sqlite3 connections and stops the writer

    created = [o for o in outcomes if isinstance(o, Task)]
    assert len(created) == 200
    with sqlite3.connect(_path(sqlite_url)) as check:
        rows = check.execute("SELECT id, title FROM tasks").fetchall()
        counts = check.execute("SELECT sum(count) FROM task_counts").fetchone()
    assert sorted(rows) == sorted((task.id, task.title) for task in created)
    assert counts == (200,)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(titles=st.lists(list_titles, min_size=1, max_size=40))
async def test_concurrent_creates_store_exactly_one_task_per_title_key(
    repository: SqlTaskRepository, titles: list[str]
) -> None:
    await asyncio.gather(*(repository.remove(task.id) for task in await _stored(repository)))

    outcomes = await _create_all(repository, titles)

    keys = Counter(title.strip().casefold() for title in titles)
    winners = {o.title.casefold(): o for o in outcomes if isinstance(o, Task)}
    losers = [o for o in outcomes if not isinstance(o, Task)]
    assert set(winners) == set(keys)
    assert len(winners) + len(losers) == len(titles)  # no key won twice
    assert all(isinstance(o, DuplicateTitle) for o in losers), losers
    assert (await repository.list(TaskQuery())).total == len(keys)
    assert sorted((t.id, t.title) for t in await _stored(repository)) == sorted(
        (t.id, t.title) for t in winners.values()
    )
