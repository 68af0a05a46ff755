"""PostgreSQL through an asyncpg pool, used directly.

asyncpg prepares each statement once per connection and runs it in one round trip; SQLAlchemy's
async engine on top cost GET by id about two thirds of its rate (docs/performance.md). A read in
autocommit is one round trip; a write's transaction adds BEGIN and COMMIT.

Every wait is bounded: a connection from the pool within `pool_timeout`, a statement within
`statement_timeout` (the server cancels it, the connection stays usable), and any answer within
that plus a margin (the client's backstop when the server cannot answer at all).
"""

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Final, NoReturn, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row, StatementCache
from taskservice.adapters.sql.errors import POSTGRES_ERRORS, from_postgres, is_disconnect

Connection = PoolConnectionProxy  # generic in the stubs only
# How much longer than statement_timeout the client waits for any answer.
CLIENT_TIMEOUT_MARGIN: Final = 0.5
_DIALECT: Final = PGDialect_asyncpg()


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style URL asyncpg takes, from SQLAlchemy's `postgresql+asyncpg://…`."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database, opened by `open`."""

    def __init__(self, database_url: str, *, pool_size: int, pool_timeout: float, statement_timeout: float) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._pool_size = pool_size
        self.pool_timeout = pool_timeout
        self._statement_timeout = statement_timeout
        self.statements = StatementCache(_DIALECT)
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=self._pool_size,
                max_size=self._pool_size,
                timeout=self.pool_timeout,  # connecting
                command_timeout=self._statement_timeout + CLIENT_TIMEOUT_MARGIN,
                server_settings={"statement_timeout": str(int(self._statement_timeout * 1000))},
                reset=_keep_session,
            )
        except POSTGRES_ERRORS as error:
            _raise(error)

    async def close(self) -> None:
        """Close every connection gracefully, or, if the server cannot answer in time, at once."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), self.pool_timeout)
            except (*POSTGRES_ERRORS, TimeoutError):
                pool.terminate()

    async def expire(self) -> None:
        """After a lost connection, replace every pooled one as it is next taken: a restarted server
        has closed them all, and each would otherwise fail one request."""
        if self._pool is not None:
            await self._pool.expire_connections()

    def session(self) -> "PostgresSession":
        return PostgresSession(self)

    async def acquire(self) -> Connection:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL pool is not open")
        try:
            return await self._pool.acquire(timeout=self.pool_timeout)
        except POSTGRES_ERRORS as error:
            _raise(error)

    async def release(self, connection: Connection) -> None:
        if self._pool is not None:
            # A reset that fails (the server is gone) terminates the connection and the pool
            # replaces it; the unit of work's outcome is decided already, so nothing to report.
            with contextlib.suppress(*POSTGRES_ERRORS):
                await self._pool.release(connection, timeout=self.pool_timeout)


class PostgresSession:
    """A unit of work's `SqlSession`: a pooled connection, taken at its first statement."""

    __slots__ = ("_connection", "_database", "_failed", "_transaction")

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._transaction: Transaction | None = None
        # A statement failed inside the transaction: PostgreSQL has aborted it, and a COMMIT
        # would answer ROLLBACK without an error.
        self._failed = False

    async def begin(self, *, write: bool) -> None:
        if self._transaction is not None:
            return
        connection = self._connection or await self._take()
        # READ COMMITTED gives each statement its own snapshot; a read-only REPEATABLE READ gives
        # every statement of the transaction the same one.
        transaction = (
            connection.transaction() if write else connection.transaction(isolation="repeatable_read", readonly=True)
        )
        try:
            await transaction.start()
        except POSTGRES_ERRORS as error:
            _raise(error)
        self._transaction = transaction

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        compiled = self._database.statements[statement]
        connection = self._connection or await self._take()
        try:
            records = await connection.fetch(compiled.sql, *compiled.parameters(params or {}))
        except POSTGRES_ERRORS as error:
            self._failed = self._transaction is not None
            if is_disconnect(error):
                await self._database.expire()
            _raise(error)
        rows = cast("list[Row]", records)  # a Record is a tuple-like row
        return [compiled.row(r) for r in rows] if compiled.results else rows

    async def commit(self) -> None:
        if self._failed:
            raise RuntimeError("a statement of this unit of work failed: it can only roll back")
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            try:
                await transaction.commit()
            except POSTGRES_ERRORS as error:
                _raise(error)

    async def close(self) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        if connection is None:
            return
        try:
            if transaction is not None and not connection.is_closed():
                await transaction.rollback()
        except POSTGRES_ERRORS:
            connection.terminate()  # in doubt: the pool replaces it
        finally:
            await self._database.release(connection)

    async def _take(self) -> Connection:
        self._connection = await self._database.acquire()
        return self._connection


async def _keep_session(_connection: "asyncpg.Connection[asyncpg.Record]") -> None:
    """Give a connection back to the pool without asyncpg's reset query (`RESET ALL; UNLISTEN *;
    CLOSE ALL; SELECT pg_advisory_unlock_all()`), a round trip after every unit of work: this
    service changes no session state (no SET, LISTEN, cursor or session lock), and asyncpg
    still rolls back a transaction left open before this is called."""


def _raise(error: BaseException) -> NoReturn:
    """Raise what `error` means for the store (errors.py), chained to it."""
    mapped = from_postgres(error)
    if mapped is error:
        raise error
    raise mapped from error
