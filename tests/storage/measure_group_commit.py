"""Measure group commit: concurrent `SqlTaskRepository.add` calls on a 10k-task SQLite file.

Run: `uv run python -m tests.storage.measure_group_commit [rounds]`. Each round copies one seeded
file and runs 32 concurrent adds (`asyncio.gather`) at a time, 50 times, once with every write in
its own transaction (`max_batch=1`) and once with group commit (the default cap), alternating so
that machine noise moves both. Prints the median µs per write of each.
"""

import asyncio
import functools
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from taskservice.adapters.sql import repository as repository_module
from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.adapters.sql.sqlite_file import SqliteFile
from taskservice.adapters.sql.tables import tasks
from taskservice.domain.task import make_draft

SEEDED = 10_000
CONCURRENCY = 32
GATHERS = 50
NOW = datetime(2026, 11, 23, tzinfo=UTC)


async def _seed(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_to_head(engine)
        rows = [
            {
                "title": f"Seeded {i}",
                "title_key": f"seeded {i}",
                "description": None,
                "status": ("new", "in_progress", "completed")[i % 3],
                "priority": i % 5 + 1,
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
            for i in range(SEEDED)
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(tasks), rows)
    finally:
        await engine.dispose()


async def _us_per_write(path: Path, max_batch: int, label: str) -> float:
    # The repository builds its own SqliteFile; this fixes the one knob being measured.
    repository_module.SqliteFile = functools.partial(SqliteFile, max_batch=max_batch)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        repository = SqlTaskRepository(engine)
        await repository.add(make_draft(title=f"warm {label}", priority=1), NOW)
        started = time.perf_counter()
        for g in range(GATHERS):
            await asyncio.gather(
                *(
                    repository.add(make_draft(title=f"{label} {g} {c}", priority=c % 5 + 1), NOW)
                    for c in range(CONCURRENCY)
                )
            )
        return (time.perf_counter() - started) / (GATHERS * CONCURRENCY) * 1e6
    finally:
        await engine.dispose()
        repository_module.SqliteFile = SqliteFile


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        seeded = Path(directory) / "seeded.db"
        await _seed(seeded)
        results: dict[int, list[float]] = {1: [], 64: []}
        for round_ in range(rounds):
            for max_batch in (1, 64) if round_ % 2 == 0 else (64, 1):
                path = Path(directory) / f"run-{round_}-{max_batch}.db"
                shutil.copy(seeded, path)
                results[max_batch].append(await _us_per_write(path, max_batch, f"r{round_}b{max_batch}"))
        for max_batch, timings in results.items():
            runs = " ".join(f"{t:.0f}" for t in timings)
            print(f"max_batch={max_batch:3d}: median {statistics.median(timings):.0f} µs per write  ({runs})")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 6))
