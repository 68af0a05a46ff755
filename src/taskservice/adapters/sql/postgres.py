"""PostgreSQL through an asyncpg pool, used directly: SQLAlchemy's async engine on top of it cost
GET by id more than half its rate (docs/performance.md). Every wait is bounded, and a connection
in doubt is terminated, not given back gracefully (docs/storage.md, "When the database is lost").
"""

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy as Connection
from asyncpg.transaction import Transaction
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row, StatementCache
from taskservice.adapters.sql.errors import POSTGRES_ERRORS, from_postgres, is_disconnect
from taskservice.ports.repository import PoolUsage


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database, opened by `open`."""

    def __init__(self, database_url: str, *, pool_size: int, pool_timeout: float, statement_timeout: float) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._statement_timeout = statement_timeout
        self.statements = StatementCache(PGDialect_asyncpg())
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        try:
            self._pool = self._pool or await asyncpg.create_pool(
                self._dsn,
                min_size=self._pool_size,
                max_size=self._pool_size,
                timeout=self._pool_timeout,  # connecting
                command_timeout=self._statement_timeout + 0.5,  # the backstop when the server cannot answer
                server_settings={"statement_timeout": str(int(self._statement_timeout * 1000))},
                reset=_keep_session,  # no reset query on release (docs/storage.md)
            )
        except POSTGRES_ERRORS as error:
            _raise(error)

    async def close(self) -> None:
        """Close every connection gracefully, or, if the server cannot answer in time, at once."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), self._pool_timeout)
            except (*POSTGRES_ERRORS, TimeoutError):
                pool.terminate()

    def pool(self) -> PoolUsage | None:
        """Its capacity (DB_POOL_SIZE) and the connections lent out now; None while closed."""
        if (pool := self._pool) is None:
            return None
        return PoolUsage(pool.get_max_size(), pool.get_size() - pool.get_idle_size())

    def session(self) -> "PostgresSession":
        return PostgresSession(self)

    async def acquire(self) -> Connection:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL pool is not open")
        try:
            # asyncio.timeout, not acquire(timeout=): asyncpg's wait_for runs a task per call.
            async with asyncio.timeout(self._pool_timeout):
                return await self._pool.acquire()
        except POSTGRES_ERRORS as error:
            _raise(error)

    async def release(self, connection: Connection) -> None:
        # A failed release terminates the connection; the unit of work's outcome is decided by then.
        if self._pool is not None:
            with contextlib.suppress(*POSTGRES_ERRORS):
                await self._pool.release(connection, timeout=self._pool_timeout)

    async def expire(self) -> None:
        """Replace every pooled connection as it is next taken: a restarted server closed them all."""
        if self._pool is not None:
            await self._pool.expire_connections()


class PostgresSession:
    """A unit of work's `SqlSession`: a pooled connection, taken at its first statement."""

    __slots__ = ("_connection", "_database", "_doubtful", "_failed", "_transaction")

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._transaction: Transaction | None = None
        self._failed = False  # in the transaction, which PostgreSQL then aborts: COMMIT would answer ROLLBACK
        self._doubtful = False  # the connection's state is unknown: `close` terminates it

    async def begin(self, *, write: bool) -> None:
        if self._transaction is None:
            connection = self._connection or await self._take()
            # One snapshot for every statement of a read (READ COMMITTED takes one per statement).
            options: dict[str, Any] = {} if write else {"isolation": "repeatable_read", "readonly": True}
            transaction = connection.transaction(**options)
            try:
                await transaction.start()
            except BaseException as error:  # noqa: BLE001 - `_fail` raises it again
                self._fail(error)
            self._transaction = transaction

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        compiled = self._database.statements[statement]
        connection = self._connection or await self._take()
        try:
            records = await connection.fetch(compiled.sql, *compiled.parameters(params or {}))
        except BaseException as error:  # noqa: BLE001 - `_fail` raises it again
            self._failed = self._transaction is not None
            if isinstance(error, POSTGRES_ERRORS) and is_disconnect(error):
                await self._database.expire()
            self._fail(error)
        rows = cast("list[Row]", records)  # a Record is a tuple-like row
        return [compiled.row(r) for r in rows] if compiled.results else rows

    async def commit(self) -> None:
        if self._failed:
            raise RuntimeError("a statement of this unit of work failed: it can only roll back")
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            try:
                await transaction.commit()
            except BaseException as error:  # noqa: BLE001 - `_fail` raises it again
                self._fail(error)

    async def close(self) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        if connection is None:
            return
        try:
            if self._doubtful:
                _terminate(connection)
            elif transaction is not None:
                await transaction.rollback()
        except POSTGRES_ERRORS:
            _terminate(connection)  # in doubt: the pool replaces it
        except BaseException:
            _terminate(connection)  # cut off while rolling back: the same
            raise
        finally:
            await self._database.release(connection)

    def _fail(self, error: BaseException) -> NoReturn:
        """An exchange with the server failed: note whether the connection is now in doubt (lost, timed
        out, or cut off mid-flight by a cancellation), and raise what it means for the store."""
        if isinstance(error, POSTGRES_ERRORS):
            self._doubtful = self._doubtful or is_disconnect(error)
            _raise(error)
        self._doubtful = True  # cancelled, e.g. by a timeout around the unit of work
        raise error

    async def _take(self) -> Connection:
        self._connection = await self._database.acquire()
        return self._connection


async def _keep_session(_connection: "asyncpg.Connection[asyncpg.Record]") -> None:
    """asyncpg still rolls back a transaction left open before calling this."""


def _terminate(connection: Connection) -> None:
    # A connection asyncpg saw closing is back in the pool already, and its proxy refuses calls.
    with contextlib.suppress(asyncpg.InterfaceError):
        connection.terminate()


def _raise(error: BaseException) -> NoReturn:
    mapped = from_postgres(error)
    if mapped is error:
        raise error
    raise mapped from error
