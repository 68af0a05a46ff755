"""The SQLite file shared with other connections and processes: a write waits for another
writer's lock without blocking the event loop, reads go on meanwhile and see only committed
rows, and what the store writes is what SQLAlchemy (Alembic, scripts) reads, and back."""

import asyncio
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from taskservice.adapters.sql.migrations import create_engine
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.adapters.sql.sqlite import SqliteDatabase
from taskservice.adapters.sql.tables import tasks
from taskservice.domain.task import TaskStatus
from tests.storage.stores import NOW, add, draft, get, listed, opened

# Long enough that no write here gives up while the test holds the lock.
PATIENT = 60.0


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "tasks.db"  # where `sqlite_url` points


@pytest.fixture
def other_connection(database_file: Path) -> Iterator[sqlite3.Connection]:
    """Another writer on the same file, as another process would be (autocommit until BEGIN)."""
    with closing(sqlite3.connect(database_file, isolation_level=None)) as connection:
        yield connection


async def test_a_write_waits_for_another_writers_lock_while_reads_go_on_and_then_succeeds(
    sqlite_url: str, other_connection: sqlite3.Connection
) -> None:
    async with opened(sqlite_url, sqlite_busy_timeout=PATIENT) as store:
        before = await add(store, "Before")
        other_connection.execute("BEGIN IMMEDIATE")

        write = asyncio.create_task(add(store, "Waited"))
        await asyncio.sleep(0.05)  # the write finds the lock and backs off, more than once
        assert not write.done()
        # The loop is free and the connection is not held: reads on the same store complete.
        assert await get(store, before.id) == before
        assert await listed(store) == ([before], 1)
        assert not write.done()

        other_connection.execute("COMMIT")
        waited = await write

        assert waited.title == "Waited"
        assert await listed(store, limit=10) == ([before, waited], 2)


_OTHER_PROCESS = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute(
    "INSERT INTO tasks (title, title_key, description, status, priority, created_at, updated_at, version) "
    "VALUES ('Theirs', 'theirs', NULL, 'completed', 5, '2026-01-01 00:00:00.000000', "
    "'2026-01-01 00:00:00.000000', 1)"
)
print("written", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
print("committed", flush=True)
"""


async def test_another_processs_write_is_invisible_until_it_commits_and_then_counts_in_the_totals(
    sqlite_url: str, database_file: Path
) -> None:
    async with opened(sqlite_url, sqlite_busy_timeout=PATIENT) as store:
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _OTHER_PROCESS, str(database_file),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert other.stdin is not None
        assert other.stdout is not None
        try:
            assert await asyncio.wait_for(other.stdout.readline(), PATIENT) == b"written\n"

            assert await listed(store) == ([], 0)  # its uncommitted row: not seen, not waited for
            write = asyncio.create_task(add(store, "Ours", status=TaskStatus.NEW))
            await asyncio.sleep(0.05)
            assert not write.done()

            other.stdin.write(b"go\n")
            assert await asyncio.wait_for(other.stdout.readline(), PATIENT) == b"committed\n"
            ours = await write
        finally:
            if other.returncode is None:
                other.kill()
            await other.wait()

        items, total = await listed(store)
        assert total == 2
        assert [t.title for t in items] == ["Theirs", "Ours"]  # priority 5 first
        assert await listed(store, [TaskStatus.COMPLETED]) == ([items[0]], 1)
        assert await listed(store, [TaskStatus.NEW]) == ([ours], 1)


async def test_another_connection_sees_a_unit_of_works_writes_only_once_it_commits(
    sqlite_url: str, other_connection: sqlite3.Connection
) -> None:
    def count() -> int:
        return other_connection.execute("SELECT count(*) FROM tasks").fetchone()[0]

    async with opened(sqlite_url) as store, store.unit_of_work() as work:
        await work.tasks.add(draft("Pending"), NOW)
        assert count() == 0
        await work.commit()
        assert count() == 1


async def test_a_task_the_store_writes_reads_back_identically_through_sqlalchemy_and_back(sqlite_url: str) -> None:
    moment = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)
    async with opened(sqlite_url) as store:
        async with store.unit_of_work() as work:
            ours = await work.tasks.add(draft("Both ways", priority=2), moment)
            await work.commit()
        engine = create_engine(sqlite_url)
        try:
            async with engine.begin() as connection:
                row = (await connection.execute(select(tasks).where(tasks.c.id == ours.id))).one()
                theirs_id = (
                    await connection.execute(
                        insert(tasks).returning(tasks.c.id),
                        {
                            "title": "From a script", "title_key": "from a script", "description": "d",
                            "status": "in_progress", "priority": 4, "created_at": moment, "updated_at": moment,
                            "version": 1,
                        },
                    )
                ).scalar_one()  # fmt: skip
        finally:
            await engine.dispose()

        assert (row.title, row.created_at, row.updated_at, row.version) == ("Both ways", moment, moment, 1)
        theirs = await get(store, theirs_id)
        assert theirs is not None
        assert (theirs.title, theirs.status, theirs.created_at, theirs.created_at.tzinfo) == (
            "From a script", TaskStatus.IN_PROGRESS, moment, UTC
        )  # fmt: skip
        assert (await listed(store, [TaskStatus.IN_PROGRESS]))[1] == 1


async def test_a_new_database_file_gets_1_kib_pages_and_wal_and_an_existing_file_keeps_its_own(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as existing:
        existing.execute("PRAGMA page_size=4096")
        existing.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        existing.commit()
    for path in (tmp_path / "new.db", old):
        async with opened(f"sqlite+aiosqlite:///{path}") as store:
            await add(store, "Paged")

    with closing(sqlite3.connect(tmp_path / "new.db")) as new, closing(sqlite3.connect(old)) as existing:
        assert new.execute("PRAGMA page_size").fetchone() == (1024,)
        assert new.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert existing.execute("PRAGMA page_size").fetchone() == (4096,)
        assert existing.execute("SELECT title FROM tasks").fetchall() == [("Paged",)]


async def test_a_failing_read_leaves_the_writes_of_the_loop_turn_to_commit(
    sqlite_url: str, database_file: Path
) -> None:
    async with opened(sqlite_url):  # migrated
        pass
    database = SqliteDatabase(str(database_file), busy_timeout=PATIENT)
    await database.open()
    writing, reading = database.session(), database.session()
    try:
        await SqlTaskRepository(writing).add(draft("Kept"), NOW)  # in the open batch
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await reading.rows(select(text("1")).select_from(text("no_such_table")))
        await writing.commit()
    finally:
        await writing.close()
        await database.close()
    async with opened(sqlite_url) as store:
        assert [task.title for task in (await listed(store))[0]] == ["Kept"]
