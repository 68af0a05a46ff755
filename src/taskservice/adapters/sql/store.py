"""The SQL store: a unit of work per use case, on a session of the SQLite file (sqlite.py) or of
PostgreSQL (postgres.py), handed to each repository (repository.py, users.py)."""

from types import TracebackType
from typing import Self

from sqlalchemy.engine import make_url

from taskservice.adapters.sql.migrations import create_engine, require_head, upgrade_to_head
from taskservice.adapters.sql.postgres import PostgresDatabase
from taskservice.adapters.sql.repository import PING, SqlTaskRepository
from taskservice.adapters.sql.session import SqlSession
from taskservice.adapters.sql.sqlite import SqliteDatabase, StatementSpan
from taskservice.adapters.sql.users import SqlApiKeyRepository, SqlUserRepository
from taskservice.ports.repository import PoolUsage


def sqlite_path(database_url: str) -> str | None:
    """The file a SQLite URL names; None for PostgreSQL."""
    url = make_url(database_url)
    return url.database if url.get_backend_name() == "sqlite" else None


class SqlUnitOfWork:
    """The `UnitOfWork` port on one `SqlSession`: one attribute per repository."""

    __slots__ = ("_session", "api_keys", "tasks", "users")

    def __init__(self, session: SqlSession) -> None:
        self._session = session
        self.tasks = SqlTaskRepository(session)
        self.users = SqlUserRepository(session)
        self.api_keys = SqlApiKeyRepository(session)

    async def commit(self) -> None:
        await self._session.commit()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._session.close()


class SqlStore:
    """The `Store` port on a SQL database; `open` connects (and migrates), `close` disconnects."""

    def __init__(
        self,
        database_url: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = 5.0,
        statement_timeout: float = 5.0,
        sqlite_busy_timeout: float = 5.0,
        sqlite_statement_span: StatementSpan | None = None,
    ) -> None:
        # `sqlite_statement_span` (tracing.py): on PostgreSQL, OpenTelemetry's asyncpg instrumentation sees every call.
        self._url = database_url
        path = sqlite_path(database_url)
        self._database = (
            SqliteDatabase(path, busy_timeout=sqlite_busy_timeout, statement_span=sqlite_statement_span)
            if path is not None
            else PostgresDatabase(
                database_url, pool_size=pool_size, pool_timeout=pool_timeout, statement_timeout=statement_timeout
            )
        )

    async def open(self, *, migrate: bool) -> None:
        """Connect; with `migrate`, bring the schema to the newest revision first, else insist on it."""
        engine = create_engine(self._url)
        try:
            await (upgrade_to_head(engine) if migrate else require_head(engine))
        finally:
            await engine.dispose()
        await self._database.open()

    async def close(self) -> None:
        await self._database.close()

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._database.session())

    def pool(self) -> PoolUsage | None:
        return self._database.pool()

    async def ping(self) -> None:
        session = self._database.session()
        try:
            await session.rows(PING)
        finally:
            await session.close()
