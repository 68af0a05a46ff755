"""The SQLite file (or `:memory:`) on one sqlite3 connection, used on the event loop itself.

An indexed read or a one-row write costs SQLite a few microseconds, less than one hop to a worker
thread, and a thread would share the GIL with the loop (docs/performance.md). One connection
serves every unit of work of the process, so a transaction owns it: `_owner`, an asyncio lock, is
held from BEGIN to COMMIT or ROLLBACK, and an autocommit read waits only while another unit of
work is inside a transaction (which in practice never yields to the loop). In WAL mode reads go
on while another process writes. The write lock is taken with `BEGIN IMMEDIATE` and no busy
timeout: while another process holds it the loop does not block; the unit of work sleeps and
tries again until `busy_timeout`, then the write is a retryable 503.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row, StatementCache
from taskservice.adapters.sql.errors import from_sqlite


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
    """The process's connection to one SQLite database, opened by `open`."""

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.statements = StatementCache(sqlite.dialect(paramstyle="named"))
        self._connection: sqlite3.Connection | None = None
        self._owner = asyncio.Lock()

    async def open(self) -> None:
        if self._connection is None:
            try:
                connection = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
                configure_connection(connection)
            except sqlite3.Error as error:
                raise from_sqlite(error) from error
            self._connection = connection

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the SQLite database is not open")
        return self._connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def session(self) -> "SqliteSession":
        return SqliteSession(self)

    def run(self, statement: ClauseElement, params: Mapping[str, Any] | None) -> list[Row]:
        compiled = self.statements[statement]
        try:
            raw = self.connection.execute(compiled.sql, compiled.parameters(params or {})).fetchall()
        except sqlite3.Error as error:
            raise from_sqlite(error) from None
        return [compiled.row(r) for r in raw] if compiled.results else raw

    async def take(self, *, write: bool) -> None:
        """Own the connection with a transaction begun: BEGIN IMMEDIATE for a write, else BEGIN."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self.busy_timeout, 0.001
        while True:
            await self._owner.acquire()
            try:
                self.connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                return
            except sqlite3.OperationalError as error:
                self._owner.release()
                if error.sqlite_errorname not in ("SQLITE_BUSY", "SQLITE_LOCKED") or loop.time() >= deadline:
                    raise from_sqlite(error) from None
            except BaseException:
                self._owner.release()
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)  # writes are short: try again soon

    def end(self, *, commit: bool) -> None:
        """End the owner's transaction and release the connection; a COMMIT that fails rolls back and raises."""
        connection = self.connection
        try:
            if commit:
                try:
                    connection.execute("COMMIT")
                except sqlite3.Error as error:
                    raise from_sqlite(error) from None
        finally:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # SQLite has undone what it could not keep
                    connection.execute("ROLLBACK")
            self._owner.release()

    async def wait_for_owner(self) -> None:
        if self._owner.locked():
            async with self._owner:
                pass


class SqliteSession:
    """A unit of work's `SqlSession` on the process's SQLite connection."""

    __slots__ = ("_database", "_in_transaction")

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._in_transaction = False

    async def begin(self, *, write: bool) -> None:
        if not self._in_transaction:
            await self._database.take(write=write)
            self._in_transaction = True

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        if not self._in_transaction:
            await self._database.wait_for_owner()
        return self._database.run(statement, params)

    async def commit(self) -> None:
        if self._in_transaction:
            self._in_transaction = False
            self._database.end(commit=True)

    async def close(self) -> None:
        if self._in_transaction:
            self._in_transaction = False
            self._database.end(commit=False)
