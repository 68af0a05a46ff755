"""The SQL store turns database errors into domain errors on both dialects, under real races."""

import asyncio
import sqlite3
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import text

from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.domain.errors import DuplicateTitle, StorageUnavailable
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import TaskDraft, TaskStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RACERS = 50


def draft(title: str) -> TaskDraft:
    return TaskDraft(title=title, description=None, status=TaskStatus.NEW, priority=3)


def spellings(count: int) -> list[str]:
    """`count` different spellings of one title key (case and outer whitespace), already trimmed."""
    forms = ["Ship the release", "SHIP THE RELEASE", "ship the release", "sHIP THE rELEASE", "Ship The Release"]
    return [forms[i % len(forms)] for i in range(count)]


@asynccontextmanager
async def opened(url: str) -> AsyncGenerator[SqlTaskRepository]:
    """A repository on its own engine (and so its own connections), migrated to head."""
    engine = create_engine(url, pool_size=10)
    try:
        await upgrade_to_head(engine)
        yield SqlTaskRepository(engine)
    finally:
        await engine.dispose()


async def test_concurrent_adds_of_one_title_key_leave_exactly_one_task(empty_database_url: str) -> None:
    async with opened(empty_database_url) as repository:
        results = await asyncio.gather(
            *(repository.add(draft(title), NOW) for title in spellings(RACERS)), return_exceptions=True
        )

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(r, DuplicateTitle) for r in losers), losers
        page = await repository.list(TaskQuery())
        assert page.total == 1
        assert page.items == winners


async def test_concurrent_renames_onto_one_title_key_leave_exactly_one_holder(empty_database_url: str) -> None:
    async with opened(empty_database_url) as repository:
        originals = [await repository.add(draft(f"task {i}"), NOW) for i in range(20)]
        renamed = [
            msgspec.structs.replace(task, title=title, version=2)
            for task, title in zip(originals, spellings(len(originals)), strict=True)
        ]

        results = await asyncio.gather(
            *(repository.save(task, expected_version=1) for task in renamed), return_exceptions=True
        )

        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, DuplicateTitle) for r in results if isinstance(r, BaseException)), results
        page = await repository.list(TaskQuery())
        assert page.total == len(originals)
        assert sum(t.title_key == "ship the release" for t in page.items) == 1


async def test_ids_are_never_reused_after_the_highest_are_deleted_and_the_store_reopens(
    empty_database_url: str,
) -> None:
    async with opened(empty_database_url) as repository:
        ids = [(await repository.add(draft(f"t{i}"), NOW)).id for i in range(3)]
        for task_id in ids[1:]:
            assert await repository.remove(task_id) is not None

    # A new engine on the same database: nothing the first one cached survives.
    async with opened(empty_database_url) as reopened:
        fresh = await reopened.add(draft("after reopening"), NOW)

        assert fresh.id > max(ids)
        assert {t.id for t in (await reopened.list(TaskQuery())).items} == {ids[0], fresh.id}


async def test_a_write_that_outwaits_the_sqlite_busy_timeout_is_storage_unavailable_not_a_crash(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sqlite_url, sqlite_busy_timeout=0.2)
    try:
        await upgrade_to_head(engine)
        repository = SqlTaskRepository(engine)
        # Another process's writer, in effect: a second connection holding SQLite's write lock.
        with sqlite3.connect(tmp_path / "tasks.db", isolation_level=None) as other_writer:
            other_writer.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageUnavailable):
                await repository.add(draft("blocked"), NOW)
            other_writer.execute("ROLLBACK")

        assert (await repository.add(draft("after the lock"), NOW)).id == 1
    finally:
        await engine.dispose()


_TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.mark.postgres
async def test_a_terminated_postgres_connection_is_storage_unavailable_and_the_next_call_reconnects(
    empty_postgres_url: str,
) -> None:
    """What a PostgreSQL restart or failover looks like to open connections (SQLSTATE 57P01)."""
    async with opened(empty_postgres_url) as repository:
        task = await repository.add(draft("survives"), NOW)
        admin = create_engine(empty_postgres_url)
        try:
            async with admin.connect() as connection:
                assert (await connection.execute(text(_TERMINATE_OTHERS))).scalar_one() >= 1
        finally:
            await admin.dispose()

        with pytest.raises(StorageUnavailable):
            await repository.get(task.id)
        assert await repository.get(task.id) == task


@pytest.mark.postgres
async def test_a_statement_cancelled_by_the_postgres_statement_timeout_is_storage_unavailable(
    empty_postgres_url: str,
) -> None:
    """SQLSTATE 57014: the server's statement_timeout cancels a statement stuck behind a lock."""
    async with opened(empty_postgres_url) as repository:
        engine = create_engine(empty_postgres_url, statement_timeout=0.3)
        locker = create_engine(empty_postgres_url)
        try:
            async with locker.connect() as connection:
                await connection.execute(text("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE"))
                with pytest.raises(StorageUnavailable, match="57014"):
                    await SqlTaskRepository(engine).add(draft("waits"), NOW)
                await connection.rollback()
            assert (await SqlTaskRepository(engine).add(draft("after"), NOW)).title == "after"
        finally:
            await engine.dispose()
            await locker.dispose()
        assert (await repository.list(TaskQuery())).total == 1
