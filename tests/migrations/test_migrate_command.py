"""`taskservice migrate` upgrades to head, also when several processes start it at once."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from taskservice.adapters.sql.migrations import MIGRATION_LOCK_KEY, alembic_config, create_engine
from tests.migrations.alembic_runner import current_revision

TIMEOUT = 60
_WAITING_FOR_LOCK = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@contextmanager
def migrators(database_url: str, count: int) -> Generator[Sequence[subprocess.Popen[bytes]]]:
    """`count` `taskservice migrate` processes started together; killed if still running after."""
    # A short statement timeout: waiting for the migration lock, or a long migration, must not hit it.
    environ = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url, "DB_STATEMENT_TIMEOUT": "0.5"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "taskservice", "migrate"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.kill()
            process.communicate()


def outcomes(processes: Sequence[subprocess.Popen[bytes]]) -> list[tuple[int, str]]:
    results: list[tuple[int, str]] = []
    for process in processes:
        output, _ = process.communicate(timeout=TIMEOUT)
        results.append((process.returncode, output.decode(errors="replace")))
    return results


async def assert_at_head(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    finally:
        await engine.dispose()


async def test_migrate_command_upgrades_an_empty_database_to_head(empty_database_url: str) -> None:
    with migrators(empty_database_url, 1) as processes:
        assert [code for code, _ in outcomes(processes)] == [0]
    await assert_at_head(empty_database_url)


@pytest.mark.postgres
async def test_migrators_released_at_the_same_moment_take_turns_and_all_succeed(empty_postgres_url: str) -> None:
    """The test holds the migration lock until every migrator waits on it (for longer than the
    statement timeout), then lets all go at once: without the lock they would all create the same
    tables together, and all but one would fail."""
    count = 3
    engine = create_engine(empty_postgres_url)
    try:
        async with engine.connect() as holder:
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            with migrators(empty_postgres_url, count) as processes:
                waiting = 0
                deadline = time.monotonic() + TIMEOUT
                while waiting < count and time.monotonic() < deadline:
                    assert all(p.poll() is None for p in processes), outcomes(processes)
                    await asyncio.sleep(0.1)
                    waiting = (await holder.execute(text(_WAITING_FOR_LOCK))).scalar_one()
                assert waiting == count
                # Keep them waiting past DB_STATEMENT_TIMEOUT (and the driver's margin after it).
                await asyncio.sleep(1.5)
                assert all(p.poll() is None for p in processes), outcomes(processes)
                await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                await holder.commit()

                results = outcomes(processes)
    finally:
        await engine.dispose()

    assert [code for code, _ in results] == [0] * count, results
    await assert_at_head(empty_postgres_url)
