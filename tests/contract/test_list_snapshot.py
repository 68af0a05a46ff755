"""A unit of work that lists sees one snapshot: `total` and `items` agree, and a second page of the
same unit of work is cut from the same state, even when another process commits in between (on
PostgreSQL's default READ COMMITTED each statement would see its own)."""

from collections.abc import AsyncIterator

import pytest

from taskservice.adapters.sql.store import SqlStore
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import make_draft
from tests.conftest import migrate_and_empty
from tests.contract.committed import Committed
from tests.fakes import T0


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest) -> str:
    """A SQL database of each dialect (sync: the PostgreSQL fixture creates its database with asyncio.run)."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


async def open_store(url: str) -> SqlStore:
    store = SqlStore(url)
    await store.open(migrate=True)
    return store


@pytest.fixture
async def two_stores(sql_url: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one empty database: two processes' connections."""
    await migrate_and_empty(sql_url)
    ours, theirs = await open_store(sql_url), await open_store(sql_url)
    try:
        yield ours, theirs
    finally:
        await ours.close()
        await theirs.close()


async def test_a_write_committed_between_two_reads_of_one_unit_changes_neither(
    two_stores: tuple[SqlStore, SqlStore],
) -> None:
    ours, theirs = two_stores
    await Committed(ours).add(make_draft(title="before", priority=1), T0)
    async with ours.unit_of_work() as work:
        first = await work.tasks.list(TaskQuery())
        await Committed(theirs).add(make_draft(title="committed meanwhile", priority=5), T0)
        second = await work.tasks.list(TaskQuery())
    assert first == second
    assert (first.total, [t.title for t in first.items]) == (1, ["before"])
    after = await Committed(ours).list(TaskQuery())
    assert after.total == len(after.items) == 2
