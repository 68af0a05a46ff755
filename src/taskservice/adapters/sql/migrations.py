"""Upgrade a database to the newest schema, safely when several processes start at once."""

import fcntl
import sqlite3
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from taskservice.adapters.sql.database import create_engine

# The project root holds pyproject.toml ([tool.alembic]) and migrations/.
PROJECT_ROOT = Path(__file__).resolve().parents[4]
# Any fixed 64-bit number, the same in every process of this service.
MIGRATION_LOCK_KEY = 0x7461736B73  # "tasks"
# Opening the migration connection is bounded; the migration itself is not.
_MIGRATION_CONNECT_TIMEOUT = 10.0


def alembic_config() -> Config:
    pyproject = PROJECT_ROOT / "pyproject.toml"
    if not (PROJECT_ROOT / "migrations").is_dir():
        raise RuntimeError(f"migrations/ not found under {PROJECT_ROOT}; run from a checkout of the project")
    return Config(toml_file=str(pyproject))


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration; a no-op when the schema is current.

    PostgreSQL: a transaction-level advisory lock serialises concurrent starters; the
    migrations run in that same transaction, so the loser waits and then finds head. Neither
    the wait nor a migration is cut off by the service's statement timeout.
    SQLite: an exclusive file lock beside the database file does the same across processes.
    """
    with _sqlite_file_lock(engine.url.database if engine.dialect.name == "sqlite" else None):
        if engine.dialect.name != "postgresql":
            async with engine.connect() as connection:
                await connection.run_sync(_upgrade)
            return
        # Waiting for another starter's migration, or building an index on a big table, may
        # take longer than the service's statement timeout: migrate on a connection without one.
        unbounded = create_engine(
            engine.url.render_as_string(hide_password=False),
            pool_size=1,
            pool_timeout=_MIGRATION_CONNECT_TIMEOUT,
            statement_timeout=None,
        )
        try:
            async with unbounded.connect() as connection:
                await connection.run_sync(_upgrade)
        finally:
            await unbounded.dispose()


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this code needs, and start-up must not migrate it."""


async def require_head(engine: AsyncEngine) -> None:
    """Raise `SchemaNotAtHead` unless the database is at the newest revision (MIGRATE_ON_START=false)."""
    async with engine.connect() as connection:
        current, heads = await connection.run_sync(_revisions)
    _check_head(current, heads)


def upgrade_sqlite(connection: sqlite3.Connection, path: str) -> None:
    """`upgrade_to_head` on the SQLite store's own connection (a `:memory:` database has no other)."""
    with _sqlite_file_lock(path), _sqlalchemy_connection(connection) as shared:
        _upgrade(shared)


def require_sqlite_head(connection: sqlite3.Connection) -> None:
    """`require_head` on the SQLite store's own connection."""
    with _sqlalchemy_connection(connection) as shared:
        _check_head(*_revisions(shared))


@contextmanager
def _sqlalchemy_connection(connection: sqlite3.Connection) -> Generator[Connection]:
    """A SQLAlchemy connection over the store's sqlite3 connection, with transactional DDL.

    The connection is in autocommit mode (the store issues its own BEGIN), so SQLAlchemy's
    `begin()` must say BEGIN itself; that is SQLAlchemy's documented recipe for pysqlite.
    """
    engine = create_sync_engine("sqlite://", creator=lambda: connection, poolclass=StaticPool)

    def begin(shared: Connection) -> None:
        shared.exec_driver_sql("BEGIN")

    event.listen(engine, "begin", begin)
    with engine.connect() as shared:
        yield shared


def _check_head(current: set[str], heads: set[str]) -> None:
    if current != heads:
        raise SchemaNotAtHead(
            f"database schema is at {sorted(current) or 'no revision'}, this code needs {sorted(heads)}; "
            "run `taskservice migrate` first (or start with MIGRATE_ON_START=true)"
        )


def _revisions(connection: Connection) -> tuple[set[str], set[str]]:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()), heads


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(config, "head")


@contextmanager
def _sqlite_file_lock(database: str | None) -> Generator[None]:
    """An exclusive lock beside a SQLite file, so that concurrent starters migrate one at a time."""
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
