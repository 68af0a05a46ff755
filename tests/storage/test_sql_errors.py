"""Driver errors mean what errors.py says, with real errors from sqlite3 and asyncpg: a unique
violation names its index, a lock, a timeout or a lost connection is a retryable
`StorageUnavailable`, and anything else propagates as it is, through the store too."""

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from taskservice.adapters.sql.errors import UniqueViolation, from_postgres, from_sqlite
from taskservice.adapters.sql.tables import TITLE_KEY_INDEX
from taskservice.domain.errors import StorageUnavailable
from taskservice.domain.task import TaskStatus
from tests.process import free_port
from tests.storage.stores import add, get, listed, opened

_SQLITE_INSERT = """
INSERT INTO tasks (title, title_key, description, status, priority, created_at, updated_at, version)
VALUES (?, ?, NULL, 'new', ?, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)
"""
_POSTGRES_INSERT = """
INSERT INTO tasks (title, title_key, description, status, priority, created_at, updated_at, version)
VALUES ($1, $2, NULL, 'new', $3, now(), now(), 1)
"""


def sqlite_error(call: Callable[[], object]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as raised:
        call()
    return raised.value


async def postgres_error(connection: asyncpg.Connection, sql: str, *args: object) -> BaseException:
    with pytest.raises(asyncpg.PostgresError) as raised:
        await connection.execute(sql, *args)
    return raised.value


@pytest.fixture
async def sqlite_file(sqlite_url: str, tmp_path: Path) -> Path:
    """A migrated SQLite file, closed by the store that made it."""
    async with opened(sqlite_url):
        pass
    return tmp_path / "tasks.db"


@pytest.fixture
def sqlite_connection(sqlite_file: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(sqlite_file, timeout=0, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
async def postgres(empty_postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with opened(empty_postgres_url):
        pass
    connection = await asyncpg.connect(_dsn(empty_postgres_url))
    try:
        yield connection
    finally:
        await connection.close()


def test_a_sqlite_unique_violation_names_the_title_key_index(sqlite_connection: sqlite3.Connection) -> None:
    sqlite_connection.execute(_SQLITE_INSERT, ("Ship it", "ship it", 3))

    error = sqlite_error(lambda: sqlite_connection.execute(_SQLITE_INSERT, ("SHIP IT", "ship it", 3)))

    mapped = from_sqlite(error)
    assert isinstance(mapped, UniqueViolation)
    assert mapped.index == TITLE_KEY_INDEX


def test_a_locked_sqlite_database_is_unavailable(sqlite_file: Path, sqlite_connection: sqlite3.Connection) -> None:
    with sqlite3.connect(sqlite_file, isolation_level=None) as other_writer:
        other_writer.execute("BEGIN IMMEDIATE")
        error = sqlite_error(lambda: sqlite_connection.execute("BEGIN IMMEDIATE"))
        other_writer.execute("ROLLBACK")

    assert isinstance(from_sqlite(error), StorageUnavailable)


def test_any_other_sqlite_error_is_returned_as_it_is(sqlite_connection: sqlite3.Connection) -> None:
    check = sqlite_error(lambda: sqlite_connection.execute(_SQLITE_INSERT, ("Too urgent", "too urgent", 9)))

    assert from_sqlite(check) is check


@pytest.mark.postgres
async def test_a_postgres_unique_violation_names_the_title_key_index(postgres: asyncpg.Connection) -> None:
    await postgres.execute(_POSTGRES_INSERT, "Ship it", "ship it", 3)

    error = await postgres_error(postgres, _POSTGRES_INSERT, "SHIP IT", "ship it", 3)

    mapped = from_postgres(error)
    assert isinstance(mapped, UniqueViolation)
    assert mapped.index == TITLE_KEY_INDEX


@pytest.mark.postgres
async def test_a_postgres_statement_timeout_is_unavailable(postgres: asyncpg.Connection) -> None:
    await postgres.execute("SET statement_timeout = 50")

    error = await postgres_error(postgres, "SELECT pg_sleep(5)")

    mapped = from_postgres(error)
    assert isinstance(mapped, StorageUnavailable)
    assert "57014" in str(mapped)


@pytest.mark.postgres
async def test_any_other_postgres_error_is_returned_as_it_is(postgres: asyncpg.Connection) -> None:
    check = await postgres_error(postgres, _POSTGRES_INSERT, "Too urgent", "too urgent", 9)
    syntax = await postgres_error(postgres, "SELEKT 1")

    assert from_postgres(check) is check
    assert from_postgres(syntax) is syntax


async def test_a_refused_postgres_connection_is_unavailable() -> None:
    with pytest.raises(ConnectionRefusedError) as refused:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/test", timeout=5)

    assert isinstance(from_postgres(refused.value), StorageUnavailable)


async def test_an_error_the_store_does_not_know_propagates_from_it_and_nothing_is_stored(
    empty_database_url: str,
) -> None:
    """A priority the domain would refuse, past it: the database's CHECK is the last word."""
    async with opened(empty_database_url) as store:
        with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
            await add(store, "Too urgent", priority=9)

        assert await listed(store) == ([], 0)
        assert (await add(store, "Fine", priority=5)).priority == 5


async def test_a_write_that_outwaits_the_sqlite_busy_timeout_is_unavailable_and_writes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with opened(sqlite_url, sqlite_busy_timeout=0.2) as store:
        # Another process's writer, in effect: a second connection holding SQLite's write lock.
        with sqlite3.connect(tmp_path / "tasks.db", isolation_level=None) as other_writer:
            other_writer.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageUnavailable):
                await add(store, "Blocked")
            other_writer.execute("ROLLBACK")
            assert other_writer.execute("SELECT count(*) FROM tasks").fetchone() == (0,)

        assert await listed(store) == ([], 0)
        assert (await add(store, "After the lock")).title == "After the lock"


@pytest.mark.postgres
async def test_a_write_stuck_behind_a_lock_past_the_statement_timeout_is_unavailable_and_writes_nothing(
    empty_postgres_url: str, postgres: asyncpg.Connection
) -> None:
    """SQLSTATE 57014: the server's statement_timeout cancels a statement stuck behind a lock."""
    async with opened(empty_postgres_url, statement_timeout=0.3) as store:
        async with postgres.transaction():
            await postgres.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StorageUnavailable, match="57014"):
                await add(store, "Waits")

        assert await listed(store) == ([], 0)
        assert (await add(store, "After")).title == "After"


_TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.mark.postgres
async def test_terminated_postgres_connections_cost_at_most_one_retryable_error_each_then_the_store_serves(
    empty_postgres_url: str, postgres: asyncpg.Connection
) -> None:
    """What a PostgreSQL restart or failover looks like to pooled connections (SQLSTATE 57P01):
    each dead connection may fail the one request that finds it, as a retryable error."""
    pool_size = 2
    async with opened(empty_postgres_url, pool_size=pool_size) as store:
        task = await add(store, "Survives", status=TaskStatus.COMPLETED)
        assert await postgres.fetchval(_TERMINATE_OTHERS) >= 1

        outcomes: list[object] = []
        for _ in range(pool_size + 1):
            try:
                outcomes.append(await get(store, task.id))
            except StorageUnavailable as error:
                outcomes.append(error)

        assert all(o == task or isinstance(o, StorageUnavailable) for o in outcomes), outcomes
        assert outcomes[-1] == task
        assert (await add(store, "Written after")).id > task.id


def _dsn(database_url: str) -> str:
    """The libpq-style URL asyncpg takes, from SQLAlchemy's `postgresql+asyncpg://…`."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
