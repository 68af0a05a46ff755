"""Upgrade a database to the newest schema, safely when several processes start at once."""

import fcntl
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from taskservice.adapters.sql.sqlite import configure_connection

# Where pyproject.toml ([tool.alembic]) and migrations/ are: four levels up in a checkout; for a
# non-editable install (the image: the package in site-packages, the project in /app), the working directory.
PROJECT_ROOT = Path(__file__).resolve().parents[4]
MIGRATION_LOCK_KEY = 0x7461736B73  # "tasks": any fixed 64-bit number, the same in every process


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this code needs, and start-up must not migrate it."""


def create_engine(database_url: str, *, connect_timeout: float = 10.0) -> AsyncEngine:
    """An engine for Alembic and scripts, without a statement timeout: waiting for another starter's
    migration, or building an index on a big table, may take long."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, poolclass=NullPool, connect_args={"timeout": connect_timeout})

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            configure_connection(dbapi_connection, int(connect_timeout * 1000))

        event.listen(engine.sync_engine, "connect", on_connect)
        return engine
    settings = {"timeout": connect_timeout, "server_settings": {"statement_timeout": "0"}}
    return create_async_engine(database_url, poolclass=NullPool, connect_args=settings)


def alembic_config() -> Config:
    root = next((r for r in (PROJECT_ROOT, Path.cwd()) if (r / "migrations").is_dir()), None)
    if root is None:
        raise RuntimeError(f"migrations/ not found under {PROJECT_ROOT} or {Path.cwd()}; run from the project")
    return Config(toml_file=str(root / "pyproject.toml"))


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration (none at head), one process at a time: on PostgreSQL under an
    advisory lock in the migrations' own transaction, on SQLite under a file lock beside the file."""
    with _sqlite_file_lock(engine.url.database if engine.dialect.name == "sqlite" else None):
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade)


async def require_head(engine: AsyncEngine) -> None:
    """Raise `SchemaNotAtHead` unless the database is at the newest revision (MIGRATE_ON_START=false)."""
    async with engine.connect() as connection:
        await connection.run_sync(_check_head)


def _check_head(connection: Connection) -> None:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        raise SchemaNotAtHead(
            f"database schema is at {sorted(current) or 'no revision'}, this code needs {sorted(heads)}; "
            "run `taskservice migrate` first (or start with MIGRATE_ON_START=true)"
        )


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(config, "head")


@contextmanager
def _sqlite_file_lock(database: str | None) -> Generator[None]:
    if not database or database == ":memory:":
        yield
        return
    with Path(database).with_name(Path(database).name + ".migrate-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield
