"""List totals come from counters the database keeps beside the tasks: concurrent writers of one
status do not all queue on one counter, and the totals stay equal to the rows under any mix of
concurrent inserts, status changes and deletes, from several stores (processes) at once."""

import asyncio
import itertools
import random
from collections import Counter

import pytest

from taskservice.domain.errors import StorageUnavailable
from taskservice.domain.listing import ALL_STATUSES, TaskQuery
from taskservice.domain.task import Task, TaskStatus
from taskservice.ports.unit_of_work import Store
from tests.storage.stores import NOW, add, change, draft, listed, opened, remove

HANG = 30  # nothing here waits anywhere near this long unless it hangs


@pytest.mark.postgres
async def test_concurrent_writers_of_one_status_do_not_all_wait_for_one_another(empty_postgres_url: str) -> None:
    """Writers each add a task of the same status and hold their transaction open. Any that waits
    for another's commit gives up at the statement timeout (so the test cannot hang); with one
    counter row per status every writer but the first would. Counters are picked at random, so
    two writers may meet on one; all six on one happens about once in a million runs."""
    writers = 6
    proceeded: list[Task] = []
    gave_up: list[StorageUnavailable] = []
    everyone_tried = asyncio.Event()
    release = asyncio.Event()

    async def write(title: str) -> None:
        async with store.unit_of_work() as work:
            try:
                proceeded.append(await work.tasks.add(draft(title), NOW))
            except StorageUnavailable as error:
                gave_up.append(error)
                return
            finally:
                if len(proceeded) + len(gave_up) == writers:
                    everyone_tried.set()
            await release.wait()
            await work.commit()

    async with opened(empty_postgres_url, pool_size=writers, statement_timeout=0.5) as store:
        async with asyncio.timeout(HANG):
            running = [asyncio.create_task(write(f"writer {i}")) for i in range(writers)]
            await everyone_tried.wait()
            release.set()
            await asyncio.gather(*running)

        assert len(proceeded) > 1, gave_up
        assert all("57014" in str(error) for error in gave_up), gave_up  # waited, then cancelled
        items, total = await listed(store)
        assert total == len(proceeded)
        assert sorted(t.id for t in items) == sorted(t.id for t in proceeded)


OPERATIONS = 300
STATUSES = list(TaskStatus)


async def churn(stores: list[Store], seed: int) -> None:
    """Concurrent adds, status changes and removes, spread over `stores`, some of the same tasks."""
    generator = random.Random(seed)
    limit = asyncio.Semaphore(12)
    next_title = itertools.count()
    known: list[int] = []

    async def one(store: Store, kind: str, status: TaskStatus, pick: float) -> None:
        async with limit:
            target = known[int(pick * len(known))] if known else 0
            if kind == "add" or not known:
                known.append((await add(store, f"task {next(next_title)}", status=status)).id)
            elif kind == "change":
                await change(store, target, status=status)
            else:
                await remove(store, target)

    kinds = generator.choices(["add", "change", "remove"], weights=[5, 4, 2], k=OPERATIONS)
    await asyncio.gather(
        *(one(generator.choice(stores), kind, generator.choice(STATUSES), generator.random()) for kind in kinds)
    )


async def rows_by_status(store: Store) -> Counter[TaskStatus]:
    """The stored tasks counted one by one, from the pages themselves (not from any total)."""
    counted: Counter[TaskStatus] = Counter()
    async with store.unit_of_work() as work:
        for offset in itertools.count(0, 100):
            page = await work.tasks.list(TaskQuery(limit=100, offset=offset))
            counted.update(t.status for t in page.items)
            if len(page.items) < 100:
                return counted
    raise AssertionError("unreachable")


async def test_totals_equal_the_rows_after_concurrent_inserts_status_changes_and_deletes(
    empty_database_url: str,
) -> None:
    options = {"pool_size": 4, "sqlite_busy_timeout": HANG}
    async with opened(empty_database_url, **options) as first, opened(empty_database_url, **options) as second:
        async with asyncio.timeout(HANG * 4):
            await churn([first, second], seed=20261206)

        counted = await rows_by_status(first)
        assert counted.total() > 0
        for size in range(1, len(STATUSES) + 1):
            for statuses in itertools.combinations(STATUSES, size):
                expected = sum(counted[s] for s in statuses)
                assert (await listed(first, statuses))[1] == expected, statuses
                assert (await listed(second, statuses))[1] == expected, statuses
        assert (await listed(first, ALL_STATUSES))[1] == counted.total()
