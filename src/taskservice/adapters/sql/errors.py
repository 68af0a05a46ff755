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
# InternalClientError: asyncpg's answer on a pooled connection the server had terminated (restart).
_UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)
# What asyncpg and the network under it raise: catch these, ask `from_postgres`, raise its answer.
POSTGRES_ERRORS = (asyncpg.PostgresError, *_UNREACHABLE)
# SQLite result codes (and their extended forms, e.g. SQLITE_IOERR_WRITE) that mean "try again".
_SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_CANTOPEN",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
    "SQLITE_READONLY",
)
# SQLite names the columns of a unique violation, not the index: the indexes by their columns.
_SQLITE_UNIQUE_COLUMNS = {"tasks.title_key": "uq_tasks_title_key", "users.email_key": "uq_users_email_key"}


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


def is_disconnect(error: BaseException) -> bool:
    """Whether `error` means the connection itself is gone (so are its pool siblings, likely)."""
    if isinstance(error, asyncpg.PostgresError):
        return (error.sqlstate or "").startswith(("08", "57P0"))  # connection failure, shutdown
    return isinstance(error, _UNREACHABLE)


def from_sqlite(error: sqlite3.Error) -> BaseException:
    """What a sqlite3 error means for the store: locked, unopenable, out of space or failing I/O is
    unavailable; any other error (no such table, a syntax error) is a bug and stays as it is."""
    name = getattr(error, "sqlite_errorname", None) or ""
    if isinstance(error, sqlite3.IntegrityError) and name == "SQLITE_CONSTRAINT_UNIQUE":
        columns = str(error).removeprefix("UNIQUE constraint failed: ")
        return UniqueViolation(_SQLITE_UNIQUE_COLUMNS.get(columns, columns))
    if name.startswith(_SQLITE_UNAVAILABLE):
        return StorageUnavailable(_reason(error))
    return error


def _reason(error: BaseException) -> str:
    """What went wrong, safe to log: the driver's message never holds the statement's values."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
