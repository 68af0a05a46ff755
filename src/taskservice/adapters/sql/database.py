"""Engines for the SQL store: one place that knows SQLite and PostgreSQL connection details."""

from typing import Any

from advanced_alchemy.config import EngineConfig, SQLAlchemyAsyncConfig
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

# How long a writer waits for SQLite's write lock before giving up (then a retryable 503).
SQLITE_BUSY_TIMEOUT = 5.0
# How much longer than PostgreSQL's statement_timeout the driver waits for any answer.
CLIENT_TIMEOUT_MARGIN = 0.5


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 5.0,
    statement_timeout: float | None = 5.0,
    sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT,
) -> AsyncEngine:
    """An async engine for `database_url`, tuned per dialect.

    SQLite file: WAL (readers never block the writer), synchronous=NORMAL (durable across a
    process crash; a power loss may drop the last transactions), busy_timeout so concurrent
    writers, also from other worker processes, queue instead of failing; a writer still
    waiting after `sqlite_busy_timeout` seconds gets "database is locked", which is a retryable 503.
    SQLite `:memory:`: one shared connection, so every session sees the same data.
    PostgreSQL: bounded pool wait and a statement timeout, so a lost database is an error in
    bounded time, never a hang; `statement_timeout=None` (migrations only) lets statements run
    and wait for locks as long as they need.
    """
    url = make_url(database_url)
    options: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if _is_sqlite_memory(url):
            options["poolclass"] = StaticPool
        else:
            # Bounded like PostgreSQL: a saturated pool is a 503 after pool_timeout, never a hang.
            options.update(pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)
        options["connect_args"] = {"timeout": sqlite_busy_timeout}
    else:
        connect_args: dict[str, Any] = {"timeout": pool_timeout}
        if statement_timeout is None:
            connect_args["server_settings"] = {"statement_timeout": "0"}
        else:
            # The server cancels first (the connection stays usable); the client's own
            # timeout is the backstop for when the server cannot answer at all (a partition).
            connect_args["command_timeout"] = statement_timeout + CLIENT_TIMEOUT_MARGIN
            connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
        options.update(
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
            pool_pre_ping=False,
            connect_args=connect_args,
        )
    config = SQLAlchemyAsyncConfig(
        connection_string=database_url,
        engine_config=EngineConfig(**options),
        create_all=False,
    )
    engine = config.get_engine()
    if url.get_backend_name() == "sqlite":
        busy_ms = int(sqlite_busy_timeout * 1000)

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_on_connect(dbapi_connection, busy_ms)

        event.listen(engine.sync_engine, "connect", on_connect)
    return engine


def is_sqlite_file(database_url: str) -> bool:
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and not _is_sqlite_memory(url)


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _sqlite_on_connect(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    configure_sqlite_connection(dbapi_connection, busy_timeout_ms)


def configure_sqlite_connection(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    """The pragmas every connection to a SQLite file gets (the engine's and the repository's own)."""
    cursor = dbapi_connection.cursor()
    # 1 KiB pages: a write dirties 1 KiB per touched B-tree page (the row, title key and its 7
    # other index entries) instead of 4 KiB, and every dirty page is written to the WAL at commit;
    # measured ~40 % less time per write (docs/storage.md). It only takes effect on a new, empty
    # file, so it must come before journal_mode=WAL (which writes the header); an existing
    # database keeps its page size (changing it needs VACUUM outside WAL mode).
    cursor.execute("PRAGMA page_size=1024")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Up to 16 MiB of pages per connection (SQLite's default is 2 MiB), filled only as pages are
    # read: a 10,000-task file (~7 MiB) stays cached, where the default re-read ~10 pages per
    # PATCH from the file (docs/performance.md).
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
