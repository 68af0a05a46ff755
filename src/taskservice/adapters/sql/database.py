"""SQLAlchemy engines, for what runs through SQLAlchemy itself: Alembic and the command line.

The service's own statements run on the drivers directly (sqlite.py, postgres.py); migrations
and ad-hoc scripts use these engines, with the same connection settings.
"""

from typing import Any

from advanced_alchemy.config import EngineConfig, SQLAlchemyAsyncConfig
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from taskservice.adapters.sql.postgres import CLIENT_TIMEOUT_MARGIN
from taskservice.adapters.sql.sqlite import configure_connection

# How long a writer waits for SQLite's write lock before giving up (then a retryable 503).
SQLITE_BUSY_TIMEOUT = 5.0


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 5.0,
    statement_timeout: float | None = 5.0,
    sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT,
) -> AsyncEngine:
    """An async engine for `database_url`, with the service's connection settings.

    `statement_timeout=None` (migrations) lets PostgreSQL statements run and wait for locks as
    long as they need; otherwise the server cancels a statement after it, and the client gives
    up a little later (a partitioned server cannot answer at all).
    """
    url = make_url(database_url)
    options: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if is_sqlite_memory(url):
            options["poolclass"] = StaticPool
        else:
            options.update(pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)
        options["connect_args"] = {"timeout": sqlite_busy_timeout}
    else:
        connect_args: dict[str, Any] = {"timeout": pool_timeout}
        if statement_timeout is None:
            connect_args["server_settings"] = {"statement_timeout": "0"}
        else:
            connect_args["command_timeout"] = statement_timeout + CLIENT_TIMEOUT_MARGIN
            connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
        options.update(pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout, connect_args=connect_args)
    config = SQLAlchemyAsyncConfig(
        connection_string=database_url, engine_config=EngineConfig(**options), create_all=False
    )
    engine = config.get_engine()
    if url.get_backend_name() == "sqlite":
        busy_ms = int(sqlite_busy_timeout * 1000)

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            configure_connection(dbapi_connection, busy_ms)

        event.listen(engine.sync_engine, "connect", on_connect)
    return engine


def is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def sqlite_path(database_url: str) -> str | None:
    """The file (or `:memory:`) a SQLite URL names; None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    return ":memory:" if is_sqlite_memory(url) else str(url.database)
