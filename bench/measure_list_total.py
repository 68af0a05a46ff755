"""Measure how to compute a list's `total`: a separate count vs `count(*) OVER ()` in the page query.

Run: `uv run --group test python -m bench.measure_list_total [rows ...]` (PostgreSQL from TEST_DATABASE_URL).
Prints the median milliseconds per list (limit 100) for each strategy, dialect, filter and size.
"""

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.databases import fresh_postgres_database
from tests.storage.test_query_plans import ROWS, _rows  # pyright: ignore[reportPrivateUsage]

from taskservice.adapters.sql.migrations import create_engine, upgrade_to_head
from taskservice.adapters.sql.tables import tasks

REPEAT = 30
FILTERS: dict[str, Any] = {"all": None, "status=new": tasks.c.status == "new"}


async def _fill(engine: AsyncEngine, rows: int) -> None:
    await upgrade_to_head(engine)
    batch = _rows()
    async with engine.begin() as connection:
        for start in range(0, rows, ROWS):
            await connection.execute(
                insert(tasks),
                [{**row, "title_key": f"{row['title_key']}/{start}"} for row in batch[: rows - start]],
            )
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE tasks"))


async def _median_ms(engine: AsyncEngine, window: bool, condition: Any) -> float:
    ordered = (tasks.c.priority.desc(), tasks.c.created_at, tasks.c.id)
    page = select(tasks).order_by(*ordered).limit(100)
    count = select(func.count()).select_from(tasks)
    windowed = select(tasks, func.count().over().label("total")).order_by(*ordered).limit(100)
    if condition is not None:
        page, count, windowed = page.where(condition), count.where(condition), windowed.where(condition)
    timings: list[float] = []
    async with engine.connect() as connection:
        for _ in range(REPEAT):
            started = time.perf_counter()
            if window:
                (await connection.execute(windowed)).all()
            else:
                (await connection.execute(count)).scalar_one()
                (await connection.execute(page)).all()
            timings.append((time.perf_counter() - started) * 1000)
            await connection.rollback()
    return statistics.median(timings)


async def _measure(url: str, rows: int) -> None:
    engine = create_engine(url)
    try:
        await _fill(engine, rows)
        for name, condition in FILTERS.items():
            two = await _median_ms(engine, window=False, condition=condition)
            one = await _median_ms(engine, window=True, condition=condition)
            print(f"{engine.dialect.name:10} rows={rows:>7} {name:11} count+page={two:7.2f} ms  window={one:7.2f} ms")
    finally:
        await engine.dispose()


def main(sizes: list[int]) -> None:
    for rows in sizes:
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(_measure(f"sqlite+aiosqlite:///{Path(directory) / 'tasks.db'}", rows))
        with fresh_postgres_database() as url:
            asyncio.run(_measure(url, rows))


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000])
