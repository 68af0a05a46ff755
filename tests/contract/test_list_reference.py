"""The SQL store lists exactly what the in-memory store (the reference) lists, for every status
filter, order, direction and several pages, on data full of ties.

Each filter and order is its own statement, read in a different index's order (one status: the
status-prefixed index; several: the sort column's own index, filtered; adapters/sql/repository.py);
this pins their order, ties included, against the reference on the SQLite file and PostgreSQL.
"""

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import msgspec
import pytest

from taskservice.adapters.memory import MemoryStore
from taskservice.adapters.sql.store import SqlStore
from taskservice.domain.listing import OrderBy, OrderDir, TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskStatus, apply_changes, make_changes, make_draft
from tests.conftest import migrate_and_empty
from tests.contract.committed import Committed
from tests.fakes import T0

TASKS = 60
STATUS_FILTERS = [frozenset(chosen) for size in (1, 2, 3) for chosen in itertools.combinations(list(TaskStatus), size)]
# (limit, offset): first pages, a middle one, the last partial page, exactly the end, past the end,
# and the largest offset the API accepts (offset + limit does not fit in 64 bits).
PAGES = [(1, 0), (7, 0), (7, 3), (100, 0), (10, 25), (10, TASKS - 4), (5, TASKS), (5, TASKS + 10), (3, 2**63 - 1)]


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest) -> str:
    """A SQLite file or PostgreSQL (sync: the PostgreSQL fixture
    creates its database with asyncio.run)."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


@pytest.fixture
async def sql_store(sql_url: str) -> AsyncIterator[Committed]:
    """An empty, migrated SQL store."""
    if sql_url.startswith("postgresql"):
        await migrate_and_empty(sql_url)
    store = SqlStore(sql_url)
    await store.open(migrate=True)
    try:
        yield Committed(store)
    finally:
        await store.close()


async def fill(store: Committed) -> None:
    """The same writes on every store: few priorities, created_at and updated_at instants, so most
    tasks tie on the sort field and many also on created_at; ids do not follow title order."""
    for i in range(TASKS):
        draft = make_draft(
            title=f"Task {(i * 17) % TASKS:02d}",
            priority=3 if i % 3 else 1 + i % 5,
            status=list(TaskStatus)[(i * 7) % 3],
        )
        task = await store.add(draft, T0 + timedelta(seconds=i // 8))
        if i % 4 == 0:
            # Some move status and all get one of two updated_at instants.
            changes = make_changes(description="edited", status=list(TaskStatus)[i % 3])
            updated, changed = apply_changes(task, changes, T0 + timedelta(minutes=1 + i % 2))
            await store.update(updated, changed)


def in_reference_ids(page: TaskPage, ids_by_title: dict[str, int]) -> TaskPage:
    """`page` with each task's id replaced by the reference's id for the same title (a PostgreSQL
    identity keeps counting across tests; the relative order of ids is the same)."""
    items: list[Task] = [msgspec.structs.replace(task, id=ids_by_title[task.title]) for task in page.items]
    return msgspec.structs.replace(page, items=items)


async def test_every_list_equals_the_reference_store(sql_store: Committed) -> None:
    reference = Committed(MemoryStore())
    await fill(reference)
    await fill(sql_store)
    everything = TaskQuery(limit=TASKS, order_by=OrderBy.CREATED_AT, order_dir=OrderDir.ASC)
    ids_by_title = {task.title: task.id for task in (await reference.list(everything)).items}
    sql_ids = [task.id for task in (await sql_store.list(everything)).items]
    assert sql_ids == sorted(sql_ids)  # created in the same order: ids keep the reference's order

    differences: list[str] = []
    for statuses, order_by, order_dir, (limit, offset) in itertools.product(STATUS_FILTERS, OrderBy, OrderDir, PAGES):
        query = TaskQuery(statuses=statuses, order_by=order_by, order_dir=order_dir, limit=limit, offset=offset)
        expected = await reference.list(query)
        got = in_reference_ids(await sql_store.list(query), ids_by_title)
        if got != expected:
            differences.append(
                f"{sorted(statuses)} {order_by} {order_dir} limit={limit} offset={offset}: "
                f"{[t.id for t in got.items]} != {[t.id for t in expected.items]} (total {got.total}/{expected.total})"
            )

    assert differences == []


async def test_descending_pages_cut_runs_of_ties_anywhere_like_the_reference(sql_store: Committed) -> None:
    """A descending page is read backwards and its runs of ties turned around (descending.py):
    every page start and length over long runs (one priority, few instants) must still match."""
    reference = Committed(MemoryStore())
    for store in (reference, sql_store):
        for i in range(24):
            draft = make_draft(title=f"Tie {i:02d}", priority=2 if i < 17 else 4, status=TaskStatus.NEW)
            await store.add(draft, T0 + timedelta(seconds=i // 5))
    everything = TaskQuery(limit=24, order_by=OrderBy.CREATED_AT, order_dir=OrderDir.ASC)
    ids_by_title = {task.title: task.id for task in (await reference.list(everything)).items}

    differences: list[str] = []
    filters = [frozenset({TaskStatus.NEW}), frozenset({TaskStatus.NEW, TaskStatus.COMPLETED}), frozenset(TaskStatus)]
    for statuses, order_by, limit, offset in itertools.product(
        filters, [OrderBy.PRIORITY, OrderBy.CREATED_AT], [1, 4, 9], range(0, 26, 1)
    ):
        query = TaskQuery(statuses=statuses, order_by=order_by, order_dir=OrderDir.DESC, limit=limit, offset=offset)
        expected = [task.id for task in (await reference.list(query)).items]
        got = [task.id for task in in_reference_ids(await sql_store.list(query), ids_by_title).items]
        if got != expected:
            differences.append(f"{sorted(statuses)} {order_by} limit={limit} offset={offset}: {got} != {expected}")

    assert differences == []
