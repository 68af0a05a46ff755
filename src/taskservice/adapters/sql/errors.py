"""Driver errors → what the store reports, decided once, by SQLSTATE or SQLite error name.

The SQL store runs on the drivers themselves (sqlite3, asyncpg), so their exceptions arrive
unwrapped: a unique violation becomes `UniqueViolation` naming the index (the repository turns
it into the domain error); connection loss, lock and pool timeouts become `StorageUnavailable`
(a retryable 503); anything else is a bug and propagates as it is.
"""

import sqlite3

import asyncpg

from taskservice.domain.errors import StorageUnavailable

# PostgreSQL SQLSTATEs (by class or code) that mean "try again shortly": connection exceptions,
# insufficient resources (too many connections), operator intervention (statement timeout,
# shutdown, starting up), lock timeouts, serialization failures and deadlocks.
_RETRYABLE_SQLSTATE_CLASSES = ("08", "53", "57")
_RETRYABLE_SQLSTATES = ("55P03", "40001", "40P01")
# Errors that mean "the store is not answering right now", not "this request is wrong".
_UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError)
# What asyncpg and the network under it raise: catch these, ask `from_postgres`, raise its answer.
POSTGRES_ERRORS = (asyncpg.PostgresError, *_UNREACHABLE)
# SQLite names the columns of a unique violation, not the index: the indexes by their columns.
_SQLITE_UNIQUE_COLUMNS = {"tasks.title_key": "uq_tasks_title_key"}


class UniqueViolation(Exception):
    """A write hit a unique index; `index` names it."""

    def __init__(self, index: str) -> None:
        super().__init__(f"unique violation of {index}")
        self.index = index


def from_postgres(error: BaseException) -> BaseException:
    """What an asyncpg (or socket) error means for the store."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return UniqueViolation(error.constraint_name or "")
    if isinstance(error, asyncpg.PostgresError):
        sqlstate = error.sqlstate or ""
        if sqlstate[:2] in _RETRYABLE_SQLSTATE_CLASSES or sqlstate in _RETRYABLE_SQLSTATES:
            return StorageUnavailable(f"{type(error).__name__}: {error} (SQLSTATE {sqlstate})")
        return error
    if isinstance(error, _UNREACHABLE):
        return StorageUnavailable(_reason(error))
    return error


def from_sqlite(error: sqlite3.Error) -> BaseException:
    """What a sqlite3 error means for the store: locked, unopenable or out of space is unavailable."""
    if isinstance(error, sqlite3.IntegrityError) and error.sqlite_errorname == "SQLITE_CONSTRAINT_UNIQUE":
        columns = str(error).removeprefix("UNIQUE constraint failed: ")
        return UniqueViolation(_SQLITE_UNIQUE_COLUMNS.get(columns, columns))
    if isinstance(error, sqlite3.OperationalError):
        return StorageUnavailable(_reason(error))
    return error


def _reason(error: BaseException) -> str:
    """What went wrong, safe to log: the driver's message never holds the statement's values."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
