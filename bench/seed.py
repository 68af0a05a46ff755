"""Seed a migrated taskservice database with n tasks through SQL (SQLAlchemy Core), not HTTP.

Ids run 1..n (a fresh table), statuses are mixed (about half `new`), priorities 1-5,
timestamps spread over the past so `updated_at` orders differ from `created_at` orders.
Only `tasks` is written (and, by `grant_key`, one admin and its API key), through the table as
`taskservice.adapters.sql.tables` declares it (its column types store the values as the service
does; columns it lacks are left out): any
per-status counts or other derived tables follow by the schema's own triggers.
The engine is SQLAlchemy's own (stdlib sqlite3 for the file, asyncpg for PostgreSQL), not the
service's, so seeding does not depend on how the service opens its database.
"""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from taskservice.adapters.credentials import new_api_key
from taskservice.adapters.sql.tables import api_keys, tasks, users

_STATUSES = ("new", "new", "new", "new", "new", "in_progress", "in_progress", "in_progress", "completed", "completed")
_BATCH = 5000
_PG_BATCH = 1000


def rows(n: int, seed: int = 8) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    columns = set(tasks.c.keys())
    out: list[dict[str, object]] = []
    for i in range(1, n + 1):
        created = start + timedelta(seconds=i * 7)
        title = f"Seeded task {i:06d}"
        row: dict[str, object] = {
            "id": i,
            "title": title,
            "title_key": title.casefold(),
            "description": "A task seeded for the benchmark." if i % 3 else None,
            "status": _STATUSES[rng.randrange(len(_STATUSES))],
            "priority": rng.randint(1, 5),
            "created_at": created,
            "updated_at": created + timedelta(seconds=rng.randrange(10_000_000)),
            "version": 1,
        }
        out.append({k: v for k, v in row.items() if k in columns})
    return out


async def seed(database_url: str, n: int) -> None:
    url = make_url(database_url)
    data = rows(n)
    if url.drivername.startswith("sqlite"):
        engine = create_engine(url.set(drivername="sqlite"))
        try:
            with engine.begin() as connection:
                for start in range(0, n, _BATCH):
                    connection.execute(insert(tasks), data[start : start + _BATCH])
        finally:
            engine.dispose()
        return
    async_engine = create_async_engine(url.set(drivername="postgresql+asyncpg"))
    try:
        # A transaction per batch: row triggers that keep a summary row (per-status counts)
        # update it once per insert, and in one long transaction each update walks the chain
        # of that row's earlier versions: 100k rows in one took minutes, in batches seconds.
        for start in range(0, n, _PG_BATCH):
            async with async_engine.begin() as connection:
                await connection.execute(insert(tasks), data[start : start + _PG_BATCH])
        async with async_engine.begin() as connection:
            # Explicit ids do not move the identity sequence; the next POST must get n + 1.
            await connection.execute(text("SELECT setval(pg_get_serial_sequence('tasks', 'id'), :n)"), {"n": n})
        async with async_engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE tasks"))
    finally:
        await async_engine.dispose()


async def grant_key(database_url: str) -> str | None:
    """An admin and one API key of it, through SQL like the tasks: `Bearer <key>` (None: the
    database of a checkout from before users, which needs none)."""
    url = make_url(database_url)
    key, prefix, digest = new_api_key()
    now = datetime.now(UTC)
    user = {
        "email": "bench@localhost",
        "email_key": "bench@localhost",
        "name": "bench",
        "role": "admin",
        "active": True,
        "password_hash": None,
        "created_at": now,
        "updated_at": now,
    }

    def write(connection: Connection) -> bool:
        if not inspect(connection).has_table("api_keys"):
            return False
        found = connection.execute(select(users.c.id).where(users.c.email_key == user["email_key"])).scalar()
        user_id = found or connection.execute(insert(users).values(user).returning(users.c.id)).scalar_one()
        connection.execute(
            insert(api_keys).values(user_id=user_id, name="bench", prefix=prefix, digest=digest, created_at=now)
        )
        return True

    if url.drivername.startswith("sqlite"):
        engine = create_engine(url.set(drivername="sqlite"))
        try:
            with engine.begin() as connection:
                granted = write(connection)
        finally:
            engine.dispose()
    else:
        async_engine = create_async_engine(url.set(drivername="postgresql+asyncpg"))
        try:
            async with async_engine.begin() as connection:
                granted = await connection.run_sync(write)
        finally:
            await async_engine.dispose()
    return f"Bearer {key}" if granted else None
