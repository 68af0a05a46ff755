"""The SQLite file on two sqlite3 connections used on the event loop itself, writes committed in batches.

Each unit of work that writes is a SAVEPOINT in the loop turn's batch, and its `commit` waits for
the batch's COMMIT; reads see committed state only (WAL). Why and how in detail: docs/storage.md,
"How the SQL store runs its statements".
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

# A span around one statement, given its SQL text (tracing.py's): OpenTelemetry's sqlite3
# instrumentation traces only `connection.cursor()`'s cursors, and these connections use `execute`.
StatementSpan = Callable[[str], AbstractContextManager[object]]
Batch = asyncio.Future[BaseException | None]  # how the batch's COMMIT ended, for every unit of work in it


def configure_connection(connection: Any, busy_timeout_ms: int = 0) -> None:
    """The pragmas of every connection to the file: the store's and Alembic's (docs/storage.md)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA page_size=1024")  # only a new file takes it: before WAL writes the header
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
        # Who holds each connection: a unit of work from its SAVEPOINT to its end; a list's snapshot.
        self.writer, self.reader = asyncio.Lock(), asyncio.Lock()
        # Group commit pays (bench/compare.py vs a transaction per unit): POST +44–48 %, PATCH +3–33 %.
        self._batch: Batch | None = None

    async def open(self) -> None:
        try:
            self._connections = self._connections or (self._connect(), self._connect())
        except sqlite3.Error as error:
            raise from_sqlite(error) from error

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        configure_connection(connection)
        return connection

    async def close(self) -> None:
        if self._batch is not None:  # what units of work released is theirs: commit it
            self._commit_batch(self._batch, force=True)
        for connection in self._connections or ():
            connection.close()
        self._connections = None

    def pool(self) -> PoolUsage | None:
        """Its two connections, each in use while a unit of work holds it; None while closed."""
        if self._connections is None:
            return None
        return PoolUsage(len(self._connections), int(self.writer.locked()) + int(self.reader.locked()))

    def session(self) -> "SqliteSession":
        return SqliteSession(self)

    def connection(self, *, write: bool) -> sqlite3.Connection:
        if self._connections is None:
            raise RuntimeError("the SQLite database is not open")
        return self._connections[0 if write else 1]

    def run(self, statement: ClauseElement, params: Mapping[str, Any] | None, *, write: bool) -> list[Row]:
        compiled, connection = self.statements[statement], self.connection(write=write)
        try:
            with self._statement_span(compiled.sql) if self._statement_span else contextlib.nullcontext():
                raw = connection.execute(compiled.sql, compiled.parameters(params or {})).fetchall()
        except sqlite3.Error as error:
            mapped = from_sqlite(error)
            if write and self._batch is not None and not connection.in_transaction:
                # SQLite gave the whole transaction up (disk full, I/O error): so does every unit in it.
                self._batch.set_result(mapped)
                self._batch = None
            raise mapped from None
        return [compiled.row(r) for r in raw] if compiled.results else raw

    async def enter_batch(self) -> Batch:
        """Hold the write connection in a SAVEPOINT of our own, in the batch (begun if none is open).
        `BEGIN IMMEDIATE` fails at once while another process writes: sleep and try again."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self.busy_timeout, 0.001
        while True:
            await self.writer.acquire()
            try:
                if self._batch is None:
                    self.connection(write=True).execute("BEGIN IMMEDIATE")
                    self._batch = loop.create_future()
                    loop.call_soon(self._commit_batch, self._batch)
                self.connection(write=True).execute("SAVEPOINT unit")
                return self._batch
            except sqlite3.OperationalError as error:
                self.writer.release()
                if error.sqlite_errorname not in ("SQLITE_BUSY", "SQLITE_LOCKED") or loop.time() >= deadline:
                    raise from_sqlite(error) from None
            except BaseException:
                self.writer.release()
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)  # writes are short: try again soon

    def leave_batch(self, *, keep: bool) -> None:
        """Release our SAVEPOINT (kept until the batch commits) or roll back to it, and the connection."""
        try:
            with contextlib.suppress(sqlite3.Error):  # a transaction SQLite gave up has nothing left
                if not keep:
                    self.connection(write=True).execute("ROLLBACK TO unit")
                self.connection(write=True).execute("RELEASE unit")
        finally:
            self.writer.release()

    def _commit_batch(self, batch: Batch, *, force: bool = False) -> None:
        if batch is not self._batch:  # given up already
            return
        if self.writer.locked() and not force:  # a unit of work is between its statements
            asyncio.get_running_loop().call_soon(self._commit_batch, batch)
            return
        self._batch, connection = None, self.connection(write=True)
        try:
            connection.execute("COMMIT")
            batch.set_result(None)
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            batch.set_result(from_sqlite(error))


class SqliteSession:
    """A unit of work's `SqlSession` on the SQLite file: inside the batch once it writes."""

    __slots__ = ("_batch", "_database", "_snapshot")

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._batch: Batch | None = None
        self._snapshot = False  # holding the read connection in a transaction

    async def begin(self, *, write: bool) -> None:
        if self._batch is not None or self._snapshot:
            return
        if write:
            self._batch = await self._database.enter_batch()
        else:
            await self._database.reader.acquire()
            self._snapshot = True
            self._database.connection(write=False).execute("BEGIN")

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        if self._batch is None and not self._snapshot and self._database.reader.locked():
            async with self._database.reader:  # not inside another unit of work's snapshot
                pass
        return self._database.run(statement, params, write=self._batch is not None)

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
            try:
                with contextlib.suppress(sqlite3.Error):
                    self._database.connection(write=False).execute("ROLLBACK")
            finally:
                self._database.reader.release()
