"""Driver errors → what the store reports, decided once (docs/storage.md, "When the database is lost").

A unique violation becomes `UniqueViolation` naming its index; "try again shortly" becomes
`StorageUnavailable` (a retryable 503); anything else is a bug and propagates as it is.
"""

import sqlite3

import asyncpg

from taskservice.domain.errors import StorageUnavailable

# SQLSTATE classes 08 (connection), 53 (insufficient resources), 57 (operator intervention);
# lock timeout, serialization failure, deadlock.
_RETRYABLE_SQLSTATES = ("08", "53", "57", "55P03", "40001", "40P01")
# InternalClientError: asyncpg's answer on a pooled connection the server had terminated (restart).
_UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)
POSTGRES_ERRORS = (asyncpg.PostgresError, *_UNREACHABLE)  # what asyncpg and the network under it raise
# Result codes, and their extended forms (SQLITE_IOERR_WRITE), that mean "try again".
_SQLITE_UNAVAILABLE = tuple(
    f"SQLITE_{code}" for code in ("BUSY", "LOCKED", "IOERR", "FULL", "CANTOPEN", "NOMEM", "PROTOCOL", "READONLY")
)
# SQLite names the columns of a unique violation, not the index.
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
        if sqlstate and sqlstate.startswith(_RETRYABLE_SQLSTATES):
            return StorageUnavailable(f"{type(error).__name__}: {error} (SQLSTATE {sqlstate})")
        return error
    return StorageUnavailable(_reason(error)) if isinstance(error, _UNREACHABLE) else error


def is_disconnect(error: BaseException) -> bool:
    """Whether `error` means the connection itself is gone (so are its pool siblings, likely)."""
    if isinstance(error, asyncpg.PostgresError):
        return (error.sqlstate or "").startswith(("08", "57P0"))  # connection failure, shutdown
    return isinstance(error, _UNREACHABLE)


def from_sqlite(error: sqlite3.Error) -> BaseException:
    """What a sqlite3 error means for the store (no such table, a syntax error: a bug, as it is)."""
    name = getattr(error, "sqlite_errorname", None) or ""
    if isinstance(error, sqlite3.IntegrityError) and name == "SQLITE_CONSTRAINT_UNIQUE":
        columns = str(error).removeprefix("UNIQUE constraint failed: ")
        return UniqueViolation(_SQLITE_UNIQUE_COLUMNS.get(columns, columns))
    return StorageUnavailable(_reason(error)) if name.startswith(_SQLITE_UNAVAILABLE) else error


def _reason(error: BaseException) -> str:
    """What went wrong, safe to log: the driver's message never holds the statement's values."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
