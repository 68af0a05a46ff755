"""The SQLite file on two sqlite3 connections used on the event loop itself, writes committed in batches.

An indexed read or a one-row write costs SQLite a few microseconds, less than one hop to a worker
thread, and a thread would share the GIL with the loop (docs/performance.md). Most of a write's
cost is its COMMIT (a WAL frame per page it dirtied), so the writes of one loop turn share one:

- the write connection holds one open write transaction at a time, the batch: the first unit of
  work to write begins it (`BEGIN IMMEDIATE`) and the end of the loop turn commits it; each unit
  of work inside it is a SAVEPOINT, released when it commits (its caller then waits for the
  batch's COMMIT, so "committed" still means durable) or rolled back to when it does not;
- `_writer`, an asyncio lock, gives the connection to one unit of work at a time, from its
  SAVEPOINT to its RELEASE or ROLLBACK TO, and the batch commits only while no one holds it;
- reads run on the read connection, which sees only what has been committed (WAL), in
  autocommit or, for a list, in a transaction of their own (`_reader`);
- the loop never waits for another process's lock: `BEGIN IMMEDIATE` fails at once (no busy
  timeout) and the unit of work sleeps and tries again until `busy_timeout`, then a 503.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row, StatementCache
from taskservice.adapters.sql.errors import from_sqlite
from taskservice.ports.repository import PoolUsage

# Opens the span of one statement, given its SQL text (placeholders, never values): tracing.py's,
# when tracing is on. OpenTelemetry's sqlite3 instrumentation traces only cursors made by
# `connection.cursor()`, and these connections run statements through `connection.execute`.
StatementSpan = Callable[[str], AbstractContextManager[object]]


def configure_connection(connection: Any, busy_timeout_ms: int = 0) -> None:
    """The pragmas of every connection to the file: the store's, and Alembic's engines' (whose
    DB-API connection type is their dialect's)."""
    cursor = connection.cursor()
    # 1 KiB pages: every page a write dirties goes to the WAL in full (docs/storage.md). Only a
    # new, empty file takes it, so it must come before journal_mode=WAL writes the header.
    cursor.execute("PRAGMA page_size=1024")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash, not a power loss
    cursor.execute("PRAGMA cache_size=-16384")  # 16 MiB, so a 10,000-task file stays in memory
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class SqliteDatabase:
    """The process's two connections to one SQLite file, opened by `open`."""

    def __init__(self, path: str, *, busy_timeout: float, statement_span: StatementSpan | None = None) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._statement_span = statement_span
        self.statements = StatementCache(sqlite.dialect(paramstyle="named"))
        self._connections: tuple[sqlite3.Connection, sqlite3.Connection] | None = None
        self._writer, self._reader = asyncio.Lock(), asyncio.Lock()
        # The open batch: what its COMMIT ends with (None, or the error), for every unit of work in it.
        self._batch: asyncio.Future[BaseException | None] | None = None

    async def open(self) -> None:
        if self._connections is None:
            try:
                self._connections = (self._connect(), self._connect())
            except sqlite3.Error as error:
                raise from_sqlite(error) from error

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        configure_connection(connection)
        return connection

    async def close(self) -> None:
        if self._batch is not None:  # what units of work released is theirs: commit it
            self._commit_batch(self._batch, force=True)
        connections, self._connections = self._connections, None
        for connection in connections or ():
            connection.close()

    def pool(self) -> PoolUsage | None:
        """Its two connections, each in use while a unit of work holds it (the write connection from
        a write's SAVEPOINT to its end, the read one for a list's snapshot); None while closed."""
        if self._connections is None:
            return None
        return PoolUsage(len(self._connections), int(self._writer.locked()) + int(self._reader.locked()))

    def session(self) -> "SqliteSession":
        return SqliteSession(self)

    def connection(self, *, write: bool) -> sqlite3.Connection:
        if self._connections is None:
            raise RuntimeError("the SQLite database is not open")
        return self._connections[0 if write else 1]

    def run(
        self, connection: sqlite3.Connection, statement: ClauseElement, params: Mapping[str, Any] | None
    ) -> list[Row]:
        compiled = self.statements[statement]
        try:
            if self._statement_span is None:
                raw = connection.execute(compiled.sql, compiled.parameters(params or {})).fetchall()
            else:
                with self._statement_span(compiled.sql):
                    raw = connection.execute(compiled.sql, compiled.parameters(params or {})).fetchall()
        except sqlite3.Error as error:
            mapped = from_sqlite(error)
            if self._batch is not None and not connection.in_transaction:
                # SQLite gave the whole transaction up (disk full, I/O error): so does every unit in it.
                self._batch.set_result(mapped)
                self._batch = None
            raise mapped from None
        return [compiled.row(r) for r in raw] if compiled.results else raw

    async def enter_batch(self) -> asyncio.Future[BaseException | None]:
        """Hold the write connection inside the batch (begun if none is open), in a SAVEPOINT of our own."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self.busy_timeout, 0.001
        connection = self.connection(write=True)
        while True:
            await self._writer.acquire()
            try:
                if self._batch is None:
                    connection.execute("BEGIN IMMEDIATE")
                    self._batch = loop.create_future()
                    loop.call_soon(self._commit_batch, self._batch)
                connection.execute("SAVEPOINT unit")
                return self._batch
            except sqlite3.OperationalError as error:
                self._writer.release()
                if error.sqlite_errorname not in ("SQLITE_BUSY", "SQLITE_LOCKED") or loop.time() >= deadline:
                    raise from_sqlite(error) from None
            except BaseException:
                self._writer.release()
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)  # writes are short: try again soon

    def leave_batch(self, *, keep: bool) -> None:
        """Release our SAVEPOINT (kept until the batch commits) or roll back to it, and the connection."""
        connection = self.connection(write=True)
        try:
            with contextlib.suppress(sqlite3.Error):  # a transaction SQLite abandoned has nothing left
                if not keep:
                    connection.execute("ROLLBACK TO unit")
                connection.execute("RELEASE unit")
        finally:
            self._writer.release()

    def _commit_batch(self, batch: asyncio.Future[BaseException | None], *, force: bool = False) -> None:
        if batch is not self._batch:  # given up already
            return
        if self._writer.locked() and not force:  # a unit of work is between its statements
            asyncio.get_running_loop().call_soon(self._commit_batch, batch)
            return
        self._batch = None
        connection = self.connection(write=True)
        outcome: BaseException | None = None
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            outcome = from_sqlite(error)
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
        batch.set_result(outcome)

    async def begin_snapshot(self) -> None:
        await self._reader.acquire()
        self.connection(write=False).execute("BEGIN")

    def end_snapshot(self) -> None:
        try:
            with contextlib.suppress(sqlite3.Error):
                self.connection(write=False).execute("ROLLBACK")
        finally:
            self._reader.release()

    async def wait_for_reader(self) -> None:
        if self._reader.locked():
            async with self._reader:
                pass


class SqliteSession:
    """A unit of work's `SqlSession` on the SQLite file: inside the batch once it writes."""

    __slots__ = ("_batch", "_database", "_snapshot")

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._batch: asyncio.Future[BaseException | None] | None = None
        self._snapshot = False

    async def begin(self, *, write: bool) -> None:
        if self._batch is not None or self._snapshot:
            return
        if write:
            self._batch = await self._database.enter_batch()
        else:
            await self._database.begin_snapshot()
            self._snapshot = True

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        database = self._database
        if self._batch is not None:
            return database.run(database.connection(write=True), statement, params)
        if not self._snapshot:
            await database.wait_for_reader()
        return database.run(database.connection(write=False), statement, params)

    async def commit(self) -> None:
        batch, self._batch = self._batch, None
        if batch is not None:
            self._database.leave_batch(keep=True)
            if (error := await asyncio.shield(batch)) is not None:
                raise error

    async def close(self) -> None:
        if self._batch is not None:
            self._batch = None
            self._database.leave_batch(keep=False)
        if self._snapshot:
            self._snapshot = False
            self._database.end_snapshot()
