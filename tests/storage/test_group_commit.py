"""Group commit on the SQLite file: writes queued together commit together, yet each caller gets
its own outcome, and an acknowledged write is a committed one.

To make writes share a transaction for certain, a test holds the writer busy (a write that waits
on a gate, or another connection holding SQLite's write lock) while it queues them: whatever
queues while a transaction runs goes into the next one.
"""

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from taskservice.adapters.sql.database import configure_sqlite_connection
from taskservice.adapters.sql.sqlite_file import SqliteConnection, SqliteFile

T = TypeVar("T")

_INSERT_PARENT = text("INSERT INTO parent (id) VALUES (:id)")
_INSERT_CHILD = text("INSERT INTO child (parent_id) VALUES (:parent_id)")
_PARENTS = text("SELECT id FROM parent ORDER BY id")
_CHILDREN = text("SELECT parent_id FROM child ORDER BY parent_id")


def _schema(connection: SqliteConnection) -> None:
    # A deferred foreign key is checked at COMMIT: the way to make a COMMIT fail on demand.
    connection.raw.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    connection.raw.execute(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
    )


def _open(path: Path, *, busy_timeout: float = 1.0, queue_timeout: float = 5.0) -> SqliteFile:
    busy_ms = int(busy_timeout * 1000)
    return SqliteFile(
        str(path),
        lambda raw: configure_sqlite_connection(raw, busy_ms),
        busy_timeout=busy_timeout,
        queue_timeout=queue_timeout,
    )


@pytest.fixture
async def file(tmp_path: Path) -> AsyncIterator[SqliteFile]:
    opened = _open(tmp_path / "group.db")
    await opened.write(_schema)
    try:
        yield opened
    finally:
        opened.close()


def insert_parent(parent_id: int) -> Callable[[SqliteConnection], int]:
    def work(connection: SqliteConnection) -> int:
        connection.rows(_INSERT_PARENT, {"id": parent_id})
        return parent_id

    return work


def insert_child(parent_id: int) -> Callable[[SqliteConnection], None]:
    def work(connection: SqliteConnection) -> None:
        connection.rows(_INSERT_CHILD, {"parent_id": parent_id})

    return work


def parents(file: SqliteFile) -> list[int]:
    return [row[0] for row in file.read(lambda c: c.rows(_PARENTS))]


class Gate:
    """A write that holds the writer thread until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, _: SqliteConnection) -> None:
        self.entered.set()
        self.opened.wait(5)


async def behind_a_gate(file: SqliteFile, writes: Sequence[Awaitable[T]]) -> list[T | BaseException]:
    """Queue `writes` while the writer is busy, so that they run in one transaction; their outcomes."""
    gate = Gate()
    held = asyncio.create_task(file.write(gate))
    await asyncio.to_thread(gate.entered.wait, 5)
    queued = [asyncio.ensure_future(write) for write in writes]
    await asyncio.sleep(0)  # each task runs up to its await: every write is queued
    gate.opened.set()
    await held
    return await asyncio.gather(*queued, return_exceptions=True)


async def test_a_failing_write_is_undone_alone_and_its_neighbours_are_kept(file: SqliteFile) -> None:
    def insert_then_fail(connection: SqliteConnection) -> None:
        connection.rows(_INSERT_PARENT, {"id": 2})
        raise ValueError("the caller's own failure")

    outcomes = await behind_a_gate(
        file,
        [
            file.write(insert_parent(1)),
            file.write(insert_then_fail),
            file.write(insert_parent(1)),  # the primary key is taken by the first write
            file.write(insert_parent(3)),
        ],
    )

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[2], sa_exc.IntegrityError)
    assert outcomes[3] == 3
    assert parents(file) == [1, 3]  # the failing write's own insert of 2 was undone


async def test_a_failure_at_commit_fails_every_write_of_the_batch_and_keeps_nothing(file: SqliteFile) -> None:
    outcomes = await behind_a_gate(
        file,
        [file.write(insert_parent(1)), file.write(insert_child(99)), file.write(insert_parent(2))],
    )

    assert all(isinstance(outcome, sa_exc.IntegrityError) for outcome in outcomes), outcomes
    assert len({id(outcome) for outcome in outcomes}) == 3  # each caller has its own exception
    assert parents(file) == []
    assert file.read(lambda c: c.rows(_CHILDREN)) == []
    assert await file.write(insert_parent(4)) == 4  # the writer goes on
    assert parents(file) == [4]


async def test_a_failure_at_begin_fails_every_queued_write_and_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    file = _open(path, busy_timeout=0.2)
    await file.write(_schema)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock past busy_timeout
        outcomes = await asyncio.gather(*(file.write(insert_parent(i)) for i in range(1, 4)), return_exceptions=True)
        other.execute("ROLLBACK")

        assert all(isinstance(outcome, sa_exc.OperationalError) for outcome in outcomes), outcomes
        assert "locked" in str(outcomes[0])
        assert parents(file) == []
        assert await file.write(insert_parent(5)) == 5
    finally:
        other.close()
        file.close()


async def test_writes_that_queued_too_long_behind_a_batch_are_refused_not_run(tmp_path: Path) -> None:
    file = _open(tmp_path / "slow.db", queue_timeout=0.05)
    await file.write(_schema)

    def slow(connection: SqliteConnection) -> None:
        time.sleep(0.2)

    try:
        first = asyncio.create_task(file.write(slow))
        await asyncio.sleep(0.02)  # the slow write is running
        late = await asyncio.gather(file.write(insert_parent(1)), file.write(insert_parent(2)), return_exceptions=True)
        await first

        assert all(isinstance(outcome, sa_exc.TimeoutError) for outcome in late), late
        assert parents(file) == []
        assert await file.write(insert_parent(3)) == 3
    finally:
        file.close()


async def test_a_write_cancelled_while_queued_never_runs(file: SqliteFile) -> None:
    gate = Gate()
    held = asyncio.create_task(file.write(gate))
    await asyncio.to_thread(gate.entered.wait, 5)
    cancelled = asyncio.create_task(file.write(insert_parent(1)))
    kept = asyncio.create_task(file.write(insert_parent(2)))
    await asyncio.sleep(0)
    cancelled.cancel()
    gate.opened.set()
    await held

    assert await kept == 2
    assert cancelled.cancelled()
    assert parents(file) == [2]


async def test_close_finishes_the_queued_writes_and_the_next_write_reopens(tmp_path: Path) -> None:
    path = tmp_path / "close.db"
    file = _open(path)
    await file.write(_schema)
    gate = Gate()
    held = asyncio.create_task(file.write(gate))
    await asyncio.to_thread(gate.entered.wait, 5)
    queued = [asyncio.create_task(file.write(insert_parent(i))) for i in range(1, 11)]
    await asyncio.sleep(0)
    threading.Timer(0.05, gate.opened.set).start()

    file.close()  # waits for the queued writes

    assert await asyncio.gather(*queued) == list(range(1, 11))
    await held
    reopened = _open(path)
    try:
        assert parents(reopened) == list(range(1, 11))
    finally:
        reopened.close()
    assert await file.write(insert_parent(11)) == 11  # the closed file opens again on use
    file.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM parent").fetchone() == (11,)


async def test_writes_from_several_event_loops_each_get_their_own_results(file: SqliteFile) -> None:
    # The writer answers each caller on the caller's own loop.
    def in_another_loop() -> list[int]:
        async def writes() -> list[int]:
            return list(await asyncio.gather(*(file.write(insert_parent(i)) for i in range(100, 110))))

        return asyncio.run(writes())

    others = asyncio.create_task(asyncio.to_thread(in_another_loop))
    mine = await asyncio.gather(*(file.write(insert_parent(i)) for i in range(1, 11)))

    assert mine == list(range(1, 11))
    assert await others == list(range(100, 110))
    assert parents(file) == [*range(1, 11), *range(100, 110)]
