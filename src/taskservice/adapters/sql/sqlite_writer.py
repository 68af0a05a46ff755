"""Group commit: the SQLite file's writes, queued to one thread and committed in batches.

SQLite has one writer at a time, and most of a write's cost is the commit (the WAL frames the
kernel takes for every dirty page) rather than the statements. So the writer thread takes the
first queued write (waiting for it), then whatever else queued meanwhile (up to `max_batch`),
and runs them all in one transaction, each inside its own SAVEPOINT (a write of a single
statement needs none: SQLite undoes a failed statement by itself and keeps the transaction):

- a write that raises is rolled back to its savepoint and gets its own exception; the others
  go on (a unique violation fails one create, not its neighbours);
- the callers hear back only after COMMIT returned, so "acknowledged" still means "durable",
  and events are still published after commit;
- if BEGIN or COMMIT fails (or SQLite abandons the transaction), nothing of the batch is kept
  and every write of it that had not already failed gets that error.

There is no timer: a lone write starts at once, and batches form only from writes that queued
while the previous batch ran, i.e. exactly when the writer is the bottleneck.

Where the write lock is free, which is always the case for the one process of the embedded
default, the batch runs on the event loop itself, on the loop's own connection (`LoopSide`):
the writes a loop turn submitted commit together when the loop next gets to its callbacks, with
no thread hop. On one core a writer thread costs far more than the transaction: each time the
loop thread releases the GIL (a socket write, a system call, each SQLite step) the writer takes
it, and the request waits (docs/performance.md). The loop never waits for a lock: it asks for
the write lock without a busy timeout, and if another process holds it (or the thread still has
writes in hand) the batch goes to the thread, which waits for the lock up to busy_timeout.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import exc as sa_exc

T = TypeVar("T")


class Connection(Protocol):
    """What the writer needs of a connection: the sqlite3 connection underneath."""

    @property
    def raw(self) -> sqlite3.Connection: ...


C = TypeVar("C", bound=Connection)


class LoopSide(Protocol[C]):  # pyright: ignore[reportInvalidTypeVarUse]
    """The event loop's own connection, for batches the loop can run without waiting."""

    def connection(self) -> C:
        """The loop's connection (opened on first use)."""
        ...

    def discard(self) -> None:
        """Close the connection after a failure that leaves it in doubt; the next use reopens."""
        ...

    def usable(self) -> bool:
        """Whether the calling thread is the one whose loop owns the connection."""
        ...


_SQLITE_BUSY = 5


class _Item(Generic[C]):
    """One queued write and, once its batch has run, its outcome."""

    __slots__ = ("error", "future", "loop", "one_statement", "queued", "result", "work")

    def __init__(self, work: Callable[[C], Any], loop: asyncio.AbstractEventLoop, one_statement: bool) -> None:
        self.work = work
        self.one_statement = one_statement
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()
        self.queued = time.monotonic()
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommitWriter(Generic[C]):
    """One writer thread and its connection; `submit` queues a write and waits for its commit.

    `open_connection` runs in the writer thread on the first batch (and after a failure that
    lost the connection); `on_commit(n)` is told after every commit how many writes it kept.
    """

    def __init__(
        self,
        open_connection: Callable[[], C],
        *,
        queue_timeout: float,
        on_commit: Callable[[int], None] = lambda _: None,
        max_batch: int = 64,
        loop_side: LoopSide[C] | None = None,
        busy_timeout_ms: int = 0,
    ) -> None:
        self._open = open_connection
        self._loop_side = loop_side
        self._busy_timeout_ms = busy_timeout_ms
        # Writes submitted during this loop turn, run together by the callback the first one scheduled.
        self._pending: list[_Item[C]] = []
        # Writes handed to the thread and not yet settled: while any are, later writes follow them.
        self._in_thread = 0
        self._queue_timeout = queue_timeout
        self._on_commit = on_commit
        self._max_batch = max_batch
        # None is the stop mark `close` puts: the thread finishes what queued before it, then exits.
        self._queue: queue.SimpleQueue[_Item[C] | None] = queue.SimpleQueue()
        self._connection: C | None = None
        # Daemon: a process that exits without `close` must not hang on this thread; an
        # unfinished transaction is simply not committed.
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def submit(self, work: Callable[[C], T], *, one_statement: bool = False) -> T:
        """Queue `work` and wait for its commit.

        `one_statement`: `work` runs a single statement and nothing after it can fail, so it
        needs no savepoint: SQLite undoes a failed statement by itself and keeps the transaction.
        """
        loop = asyncio.get_running_loop()
        # Annotated, not `_Item[C](...)`: calling a subscripted generic goes through typing (~1 µs).
        item: _Item[C] = _Item(work, loop, one_statement)
        if self._loop_side is None or not self._loop_side.usable():
            self._to_thread([item])
        else:
            self._pending.append(item)
            if len(self._pending) == 1:
                loop.call_soon(self._run_pending)
        result: T = await item.future
        return result

    def close(self) -> None:
        """Run every write queued so far, then stop the thread and close its connection."""
        if self._pending:
            self._to_thread(self._pending)
            self._pending = []
        self._queue.put(None)
        self._thread.join()

    def _to_thread(self, batch: list[_Item[C]]) -> None:
        self._in_thread += len(batch)
        for item in batch:
            self._queue.put(item)

    def _run_pending(self) -> None:
        """On the loop: this turn's writes in one transaction, unless that would mean waiting."""
        batch, self._pending = self._pending, []
        side = self._loop_side
        if not batch:
            return
        if side is None or self._in_thread:
            self._to_thread(batch)
            return
        raw: sqlite3.Connection | None = None
        try:
            connection = side.connection()
            raw = connection.raw
            raw.execute("PRAGMA busy_timeout=0")
            try:
                raw.execute("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        except BaseException as error:  # noqa: BLE001 - e.g. the file cannot be opened: fail this batch
            if isinstance(error, sqlite3.Error) and error.sqlite_errorcode & 0xFF == _SQLITE_BUSY:
                self._to_thread(batch)  # someone else writes: the thread waits for the lock instead
                return
            self._abandon_on(batch, raw, side.discard, "BEGIN IMMEDIATE", error)
            _resolve(batch)
            return

        def abandon(sql: str, error: BaseException) -> None:
            self._abandon_on(batch, connection.raw, side.discard, sql, error)

        try:
            self._run_items(batch, connection, abandon)
        except BaseException as error:  # noqa: BLE001 - no caller may wait forever
            abandon("", error)
        _resolve(batch)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            batch: list[_Item[C]] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while not stopping and len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                self._run_batch(batch)
        if self._connection is not None:
            self._connection.raw.close()
            self._connection = None

    def _run_batch(self, batch: list[_Item[C]]) -> None:
        try:
            self._transaction(batch)
        except BaseException as error:  # noqa: BLE001 - the thread must outlive any failure
            # Not expected (every step handles its own errors); if it happens, no caller waits forever.
            self._abandon(batch, "", error)
        finally:
            _settle(batch, self._settled)

    def _settled(self, items: list[_Item[C]]) -> None:
        """On the loop: outcomes from the thread."""
        self._in_thread -= len(items)
        _resolve(items)

    def _transaction(self, batch: list[_Item[C]]) -> None:
        started = time.monotonic()
        due = [item for item in batch if not self._refused(item, started)]
        if not due:
            return
        try:
            if self._connection is None:
                self._connection = self._open()
            connection = self._connection
            # IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a transaction
            # that reads before it writes can never fail to upgrade its lock midway.
            connection.raw.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, sa_exc.DBAPIError) as error:
            self._abandon(due, "BEGIN IMMEDIATE", error)
            return
        self._run_items(due, connection, lambda sql, error: self._abandon(due, sql, error))

    def _run_items(self, due: list[_Item[C]], connection: C, abandon: Callable[[str, BaseException], None]) -> None:
        """Inside an open transaction: each write in turn (in its savepoint), then COMMIT."""
        kept = 0
        for item in due:
            # Checked again at its turn: the writes ahead of it in this batch count as waiting too.
            if self._refused(item, time.monotonic()):
                continue
            if (lost := self._run_item(connection, item)) is not None:
                abandon(*lost)
                return
            kept += item.error is None
        try:
            connection.raw.execute("COMMIT")
        except sqlite3.Error as error:
            abandon("COMMIT", error)
            return
        self._on_commit(kept)

    def _refused(self, item: _Item[C], now: float) -> bool:
        """Whether `item` must not run: its caller is gone, or it waited too long."""
        # (Reading a future's state from this thread is a plain attribute read; only setting it
        # must happen on its loop.)
        if item.future.cancelled():
            return True  # like a cancelled executor job, it never runs
        if item.error is not None:
            return True  # refused already, at the batch's start
        if now - item.queued > self._queue_timeout:
            # Like a pool wait, the wait for the writer is bounded: a write that waited too long
            # (behind other writes, or another process's lock) is refused, not run late.
            item.error = sa_exc.TimeoutError(f"a write waited over {self._queue_timeout:g} s for the SQLite writer")
            return True
        return False

    def _run_item(self, connection: C, item: _Item[C]) -> tuple[str, BaseException] | None:
        """Run one write inside its savepoint; the failure that lost the whole transaction, if any."""
        raw = connection.raw
        # One statement needs none: SQLite undoes a failed statement and keeps the transaction.
        savepoint = not item.one_statement
        if savepoint:
            try:
                raw.execute("SAVEPOINT write")
            except sqlite3.Error as error:
                return "SAVEPOINT write", error
        try:
            item.result = item.work(connection)
        except BaseException as error:  # noqa: BLE001 - its caller gets it, as from an executor
            item.error = error
            if not raw.in_transaction:
                # SQLite rolled the whole transaction back itself (disk full, I/O error, ...):
                # the writes before this one are gone too.
                return "", error
            if savepoint:
                try:
                    raw.execute("ROLLBACK TO write")
                except sqlite3.Error as rollback_error:
                    return "ROLLBACK TO write", rollback_error
        if savepoint:
            try:
                raw.execute("RELEASE write")
            except sqlite3.Error as error:
                return "RELEASE write", error
        return None

    def _abandon(self, items: list[_Item[C]], sql: str, error: BaseException) -> None:
        """Roll back whatever is open; every item without an outcome of its own fails with `error`."""
        connection = self._connection

        def lost() -> None:
            self._connection = None

        self._abandon_on(items, connection.raw if connection is not None else None, lost, sql, error)

    def _abandon_on(
        self,
        items: list[_Item[C]],
        raw: sqlite3.Connection | None,
        lost: Callable[[], None],
        sql: str,
        error: BaseException,
    ) -> None:
        if raw is not None and raw.in_transaction:
            try:
                raw.execute("ROLLBACK")
            except sqlite3.Error:
                # A connection that cannot roll back is not trusted again: the next batch opens anew.
                with contextlib.suppress(sqlite3.Error):
                    raw.close()
                lost()
        for item in items:
            if item.error is None:
                item.error = _mapped(sql, error)


def _settle(batch: list[_Item[Any]], settled: Callable[[list[_Item[Any]]], None]) -> None:
    """Hand every outcome to its event loop: one wake-up per loop, not one per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Item[Any]]] = {}
    for item in batch:
        by_loop.setdefault(item.loop, []).append(item)
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(settled, items)


def _resolve(items: list[_Item[Any]]) -> None:
    for item in items:
        if item.future.done():
            continue  # cancelled while it waited or ran
        if item.error is not None:
            item.future.set_exception(item.error)
        else:
            item.future.set_result(item.result)


def _mapped(sql: str, error: BaseException) -> BaseException:
    """A new exception per caller for a failure they share, in SQLAlchemy's types where it is SQLite's."""
    if isinstance(error, sa_exc.DBAPIError) and isinstance(error.orig, sqlite3.Error):
        # Not the failed write's parameters: they are another caller's data.
        return as_sqlalchemy_error(error.statement or sql, {}, error.orig)
    if isinstance(error, sqlite3.Error):
        return as_sqlalchemy_error(sql, {}, error)
    shared = RuntimeError(f"the SQLite write transaction failed: {error!r}")
    shared.__cause__ = error
    return shared


def as_sqlalchemy_error(sql: str, params: Mapping[str, Any], error: sqlite3.Error) -> sa_exc.StatementError:
    """A sqlite3 error as the SQLAlchemy exception the engine would raise, so mapping stays in one place."""
    mapped = sa_exc.DBAPIError.instance(sql, dict(params), error, sqlite3.Error)
    mapped.__cause__ = error
    return mapped
