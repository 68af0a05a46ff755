"""Seed a migrated taskservice database with n tasks through SQL (SQLAlchemy Core), not HTTP.

Ids run 1..n (a fresh table), statuses are mixed (about half `new`), priorities 1-5,
timestamps spread over the past so `updated_at` orders differ from `created_at` orders.
The per-status counts follow by themselves: triggers on `tasks` keep them (migration 0002).
"""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.tables import tasks

_STATUSES = ("new", "new", "new", "new", "new", "in_progress", "in_progress", "in_progress", "completed", "completed")
_BATCH = 5000


def rows(n: int, seed: int = 8) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out: list[dict[str, object]] = []
    for i in range(1, n + 1):
        created = start + timedelta(seconds=i * 7)
        title = f"Seeded task {i:06d}"
        out.append(
            {
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
        )
    return out


async def seed(database_url: str, n: int) -> None:
    engine = create_engine(database_url)
    try:
        data = rows(n)
        async with engine.begin() as connection:
            for start in range(0, n, _BATCH):
                await connection.execute(insert(tasks), data[start : start + _BATCH])
            if connection.dialect.name == "postgresql":
                # Explicit ids do not move the identity sequence; the next POST must get n + 1.
                await connection.execute(text("SELECT setval(pg_get_serial_sequence('tasks', 'id'), :n)"), {"n": n})
    finally:
        await engine.dispose()
