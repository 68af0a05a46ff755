"""Database errors → domain errors, decided by SQLSTATE / SQLite error name and constraint, once."""

from collections.abc import Generator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from taskservice.domain.errors import StorageUnavailable

# Errors that mean "the store is not answering right now", not "this request is wrong".
_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # pool exhausted
    sa_exc.DisconnectionError,
    OSError,
    TimeoutError,
)


# PostgreSQL SQLSTATEs (by class or code) that mean "try again shortly": connection exceptions,
# insufficient resources (too many connections), operator intervention (statement timeout,
# shutdown, starting up), lock timeouts, serialization failures and deadlocks. asyncpg raises
# these as plain PostgresError, which SQLAlchemy wraps in a bare DBAPIError, not OperationalError.
_RETRYABLE_SQLSTATE_CLASSES = ("08", "53", "57")
_RETRYABLE_SQLSTATES = ("55P03", "40001", "40P01")


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    orig = error.orig
    driver_error = orig.__cause__ if orig is not None else None
    sqlstate = getattr(orig, "sqlstate", None) or getattr(driver_error, "sqlstate", None)
    return sqlstate if isinstance(sqlstate, str) else None


def is_unique_violation(error: sa_exc.IntegrityError, index_name: str, sqlite_columns: str) -> bool:
    """True when `error` is a unique violation of `index_name`.

    PostgreSQL reports SQLSTATE 23505 and the constraint name; SQLite reports
    SQLITE_CONSTRAINT_UNIQUE and names the columns (`tasks.title_key`), not the index.
    """
    orig = error.orig
    driver_error = orig.__cause__ if orig is not None else None
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        return sqlstate == "23505" and getattr(driver_error, "constraint_name", None) == index_name
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE":
        return f"UNIQUE constraint failed: {sqlite_columns}" in str(orig)
    return False


# Everything `as_unavailable` may turn into StorageUnavailable: catch these, ask, re-raise the rest.
STORAGE_ERRORS = (sa_exc.DBAPIError, *_UNAVAILABLE)


def as_unavailable(error: BaseException) -> StorageUnavailable | None:
    """`StorageUnavailable` (a retryable 503) for connection loss, lock and pool timeouts; else None.

    A function for `except` clauses on the hot paths (a generator context manager costs a few
    microseconds per request); `unavailable_as_domain_error` wraps it for everything else.
    """
    if isinstance(error, sa_exc.IntegrityError):
        return None
    if isinstance(error, _UNAVAILABLE):
        return StorageUnavailable(_reason(error))
    if isinstance(error, sa_exc.DBAPIError):
        sqlstate = _sqlstate(error) or ""
        if (
            error.connection_invalidated
            or sqlstate[:2] in _RETRYABLE_SQLSTATE_CLASSES
            or sqlstate in _RETRYABLE_SQLSTATES
        ):
            reason = _reason(error)
            return StorageUnavailable(f"{reason} (SQLSTATE {sqlstate})" if sqlstate else reason)
    return None


@contextmanager
def unavailable_as_domain_error() -> Generator[None]:
    """Turn connection loss, lock and pool timeouts into `StorageUnavailable` (a retryable 503)."""
    try:
        yield
    except STORAGE_ERRORS as error:
        if (unavailable := as_unavailable(error)) is None:
            raise
        raise unavailable from error


def _reason(error: BaseException) -> str:
    """What went wrong, safe to log: SQLAlchemy's own text would add the statement and its
    parameters (task titles, descriptions), so a wrapped driver error is described by itself."""
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else None
    if orig is not None:
        return f"{type(error).__name__}: {type(orig).__name__}: {orig}"
    return f"{type(error).__name__}: {error}"
