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


def _open(
    path: Path, *, busy_timeout: float = 1.0, queue_timeout: float = 5.0, writes_on_loop: bool = False
) -> SqliteFile:
    # Most tests here hold the writer thread with a gate, so by default every write goes to it.
    busy_ms = int(busy_timeout * 1000)
    return SqliteFile(
        str(path),
        lambda raw: configure_sqlite_connection(raw, busy_ms),
        busy_timeout=busy_timeout,
        queue_timeout=queue_timeout,
        writes_on_loop=writes_on_loop,
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


async def test_a_failing_single_statement_write_without_a_savepoint_is_undone_alone(file: SqliteFile) -> None:
    """`one_statement` skips the savepoint: SQLite itself undoes the failed statement only."""
    outcomes = await behind_a_gate(
        file,
        [
            file.write(insert_parent(1), one_statement=True),
            file.write(insert_parent(1), one_statement=True),  # the primary key is taken
            file.write(insert_parent(3), one_statement=True),
        ],
    )

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], sa_exc.IntegrityError)
    assert outcomes[2] == 3
    assert parents(file) == [1, 3]


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


def recording_thread(parent_id: int, threads: list[int]) -> Callable[[SqliteConnection], int]:
    def work(connection: SqliteConnection) -> int:
        threads.append(threading.get_ident())
        connection.rows(_INSERT_PARENT, {"id": parent_id})
        return parent_id

    return work


async def test_on_the_loop_one_turns_writes_commit_together_each_with_its_own_outcome(tmp_path: Path) -> None:
    file = _open(tmp_path / "loop.db", writes_on_loop=True)
    await file.write(_schema)
    threads: list[int] = []

    def insert_then_fail(connection: SqliteConnection) -> None:
        connection.rows(_INSERT_PARENT, {"id": 2})
        raise ValueError("the caller's own failure")

    try:
        outcomes = await asyncio.gather(
            file.write(recording_thread(1, threads)),
            file.write(insert_then_fail),
            file.write(insert_parent(1)),
            file.write(recording_thread(3, threads)),
            return_exceptions=True,
        )

        assert outcomes[0] == 1
        assert isinstance(outcomes[1], ValueError)
        assert isinstance(outcomes[2], sa_exc.IntegrityError)
        assert outcomes[3] == 3
        assert parents(file) == [1, 3]
        assert set(threads) == {threading.get_ident()}  # no hop to the writer thread
    finally:
        file.close()


async def test_on_the_loop_a_lock_held_elsewhere_sends_the_writes_to_the_thread_and_the_loop_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "held.db"
    file = _open(path, busy_timeout=2.0, writes_on_loop=True)
    await file.write(_schema)
    other = sqlite3.connect(path, isolation_level=None)
    threads: list[int] = []
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        writes = asyncio.gather(*(file.write(recording_thread(i, threads)) for i in range(1, 4)))
        ticks = 0
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1  # the loop keeps serving while the writes wait for the lock
        other.execute("COMMIT")

        assert await writes == [1, 2, 3]
        assert ticks == 10
        assert threading.get_ident() not in threads  # the thread waited for the lock, not the loop
        threads.clear()
        assert await file.write(recording_thread(4, threads)) == 4
        assert threads == [threading.get_ident()]  # the lock is free again: back on the loop
        assert parents(file) == [1, 2, 3, 4]
    finally:
        other.close()
        file.close()


async def test_on_the_loop_a_failure_at_commit_keeps_nothing_of_the_batch(tmp_path: Path) -> None:
    file = _open(tmp_path / "loop-commit.db", writes_on_loop=True)
    await file.write(_schema)
    try:
        outcomes = await asyncio.gather(
            file.write(insert_parent(1)), file.write(insert_child(99)), return_exceptions=True
        )

        assert all(isinstance(outcome, sa_exc.IntegrityError) for outcome in outcomes), outcomes
        assert parents(file) == []
        assert await file.write(insert_parent(2)) == 2
    finally:
        file.close()
