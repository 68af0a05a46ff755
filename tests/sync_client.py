"""The real app behind Litestar's synchronous TestClient, on a store emptied first.

For tests that cannot run inside pytest-asyncio's loop (Hypothesis state machines) or that share
one app across many tests (module-scoped fixtures). The TestClient runs the ASGI app and its
lifespan on a portal thread.
"""

import asyncio
import sqlite3

import asyncpg  # pyright: ignore[reportMissingTypeStubs]
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from taskservice.http.middleware import RequestContextMiddleware
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import Store
from tests.auth import admin_sync_client
from tests.conftest import make_settings

SyncClient = TestClient[RequestContextMiddleware]


def empty_store(store_kind: str, database_url: str) -> None:
    """Delete every task (memory needs nothing: each app gets a new in-memory store)."""
    if store_kind == "sqlite":
        path = make_url(database_url).database
        assert path is not None
        with sqlite3.connect(path) as connection:
            if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'tasks'").fetchone():
                connection.execute("DELETE FROM tasks")
    elif store_kind == "postgres":
        asyncio.run(_truncate_postgres(database_url))


def open_client(
    store_kind: str,
    database_url: str,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    **environ: str,
) -> SyncClient:
    """A started client on an empty store (or on `store`), every request with an admin's API key;
    the caller must `__exit__` it."""
    empty_store(store_kind, database_url)
    settings = make_settings(DATABASE_URL=database_url, **environ)
    client: SyncClient = admin_sync_client(settings, clock=clock, store=store)
    client.__enter__()
    return client


async def _truncate_postgres(url: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    try:
        await connection.execute(  # pyright: ignore[reportUnknownMemberType]
            "DO $$ BEGIN IF to_regclass('tasks') IS NOT NULL THEN TRUNCATE tasks; END IF; END $$"
        )
    finally:
        await connection.close()  # pyright: ignore[reportUnknownMemberType]
