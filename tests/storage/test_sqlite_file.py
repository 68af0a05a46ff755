"""The sqlite3 path of the SQL store (adapters/sql/sqlite_file.py) reads and writes exactly what the
SQLAlchemy engine would, and bounds how long a write may queue."""

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from advanced_alchemy.types import DateTimeUTC
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from taskservice.adapters.sql.database import configure_sqlite_connection, create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.adapters.sql.sqlite_file import (
    SqliteConnection,
    SqliteFile,
    _Compiled,  # pyright: ignore[reportPrivateUsage]
)
from taskservice.adapters.sql.tables import tasks
from taskservice.domain.task import make_draft

_DIALECT = sqlite.dialect()
_IMPL = DateTimeUTC().dialect_impl(_DIALECT)


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamps_read_back_as_sqlalchemy_would_parse_them(moment: datetime) -> None:
    stored = _IMPL.bind_processor(_DIALECT)(DateTimeUTC().process_bind_param(moment, _DIALECT))  # pyright: ignore[reportOptionalCall]
    parsed = _IMPL.result_processor(_DIALECT, None)(stored)  # pyright: ignore[reportOptionalCall]
    expected = DateTimeUTC().process_result_value(parsed, _DIALECT)

    converted: datetime = _Compiled(select(tasks.c.created_at)).row([stored])[0]

    assert converted == expected == moment
    assert converted.tzinfo is UTC


async def test_a_task_written_by_the_engine_reads_back_identically_through_sqlite3(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        now = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)
        created = await SqlTaskRepository(engine).add(make_draft(title="Both ways", priority=2), now)
        async with engine.connect() as connection:
            row = (await connection.execute(select(tasks).where(tasks.c.id == created.id))).one()
        assert (row.title, row.created_at, row.updated_at, row.version) == ("Both ways", now, now, 1)
    finally:
        await engine.dispose()


async def test_a_write_that_queued_longer_than_the_timeout_is_refused_not_run_late(tmp_path: Path) -> None:
    file = SqliteFile(
        str(tmp_path / "q.db"), lambda raw: configure_sqlite_connection(raw, 1000), busy_timeout=1, queue_timeout=0.05
    )
    ran: list[str] = []

    def slow(_: SqliteConnection) -> None:
        time.sleep(0.2)
        ran.append("slow")

    def quick(_: SqliteConnection) -> None:
        ran.append("quick")

    try:
        outcomes = await asyncio.gather(file.write(slow), file.write(quick), return_exceptions=True)
        assert outcomes[0] is None
        assert isinstance(outcomes[1], sa_exc.TimeoutError)
        assert ran == ["slow"]
        await file.write(quick)  # the writer is free again
        assert ran == ["slow", "quick"]
    finally:
        file.close()


async def test_closing_the_engine_closes_the_sqlite3_connections_and_they_reopen(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}")
    await upgrade_to_head(engine)
    repository = SqlTaskRepository(engine)
    first = await repository.add(make_draft(title="Before", priority=1), datetime.now(UTC))
    await engine.dispose()
    second = await repository.add(make_draft(title="After", priority=1), datetime.now(UTC) + timedelta(seconds=1))
    try:
        assert second.id == first.id + 1
        assert await repository.get(first.id) == first
    finally:
        await engine.dispose()


async def test_a_new_database_file_gets_1_kib_pages_and_an_existing_file_keeps_its_own(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as existing:
        existing.execute("PRAGMA page_size=4096")
        existing.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    for path in (tmp_path / "new.db", old):
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade_to_head(engine)
            await SqlTaskRepository(engine).add(make_draft(title="Paged", priority=1), datetime.now(UTC))
        finally:
            await engine.dispose()
    with sqlite3.connect(tmp_path / "new.db") as new, sqlite3.connect(old) as existing:
        assert new.execute("PRAGMA page_size").fetchone() == (1024,)
        assert new.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert existing.execute("PRAGMA page_size").fetchone() == (4096,)
        assert existing.execute("SELECT title FROM tasks").fetchall() == [("Paged",)]
