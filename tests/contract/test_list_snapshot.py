"""`total` and `items` of one page come from one snapshot, even when a write commits between the
count and the page query (on PostgreSQL's default READ COMMITTED each statement would see its own)."""

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import event

from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import make_draft
from tests.conftest import migrate_and_empty
from tests.fakes import T0


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest) -> str:
    """A SQL database of each dialect (sync: the PostgreSQL fixture creates its database with asyncio.run)."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


@pytest.fixture
async def empty_sql_url(sql_url: str) -> str:
    """`sql_url`, migrated and without tasks."""
    await migrate_and_empty(sql_url)
    return sql_url


def add_from_another_process(url: str, title: str) -> None:
    """Commit a new task through a separate engine, on its own thread and event loop."""

    async def add() -> None:
        engine = create_engine(url)
        try:
            await SqlTaskRepository(engine).add(make_draft(title=title, priority=3), T0)
        finally:
            await engine.dispose()

    writer = threading.Thread(target=asyncio.run, args=(add(),))
    writer.start()
    writer.join(timeout=30)
    assert not writer.is_alive()


async def test_a_write_between_count_and_page_changes_neither(empty_sql_url: str) -> None:
    engine = create_engine(empty_sql_url)
    repository = SqlTaskRepository(engine)
    await repository.add(make_draft(title="before", priority=1), T0)
    fired: list[str] = []

    def write_after_the_count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The total's statement: a count(*), or a sum over the per-status counts (task_counts).
        if not fired and "count" in statement.lower():
            fired.append(statement)
            add_from_another_process(empty_sql_url, "committed meanwhile")

    event.listen(engine.sync_engine, "after_cursor_execute", write_after_the_count)
    try:
        page = await repository.list(TaskQuery())
        assert fired
        assert (page.total, [t.title for t in page.items]) == (1, ["before"])
        after = await repository.list(TaskQuery())
        assert after.total == len(after.items) == 2
    finally:
        await engine.dispose()
