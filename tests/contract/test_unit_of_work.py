"""What a unit of work promises on every store: all or nothing, and no one sees it half-done."""

import asyncio
from datetime import timedelta

import pytest

from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import Task, TaskStatus, apply_changes, make_changes, make_draft
from taskservice.ports.unit_of_work import Store
from tests.fakes import T0


async def stored(store: Store) -> list[Task]:
    async with store.unit_of_work() as work:
        return sorted((await work.tasks.list(TaskQuery(limit=500))).items, key=lambda t: t.id)


async def seed(store: Store, *titles: str) -> list[Task]:
    async with store.unit_of_work() as work:
        tasks = [await work.tasks.add(make_draft(title=title, priority=3), T0) for title in titles]
        await work.commit()
    return tasks


async def test_what_a_unit_of_work_leaves_without_committing_is_undone(store: Store) -> None:
    kept, changed, removed = await seed(store, "kept", "changed", "removed")
    async with store.unit_of_work() as work:
        await work.tasks.add(make_draft(title="added", priority=1), T0)
        current = await work.tasks.get(changed.id, for_update=True)
        assert current is not None
        updated, names = apply_changes(current, make_changes(title="renamed", status=TaskStatus.COMPLETED), T0)
        await work.tasks.update(updated, names)
        await work.tasks.remove(removed.id)
    assert await stored(store) == [kept, changed, removed]
    async with store.unit_of_work() as work:
        page = await work.tasks.list(TaskQuery(statuses=frozenset({TaskStatus.NEW}), limit=1))
    assert page.total == 3


async def test_an_error_inside_undoes_everything_and_frees_the_store(store: Store) -> None:
    (task,) = await seed(store, "first")

    async def add_two() -> None:
        async with store.unit_of_work() as work:
            await work.tasks.add(make_draft(title="second", priority=1), T0)
            await work.tasks.add(make_draft(title="FIRST", priority=1), T0)

    for _ in range(25):  # more than a PostgreSQL pool holds: every connection went back
        with pytest.raises(DuplicateTitle):
            await add_two()
    assert await stored(store) == [task]


async def test_commit_keeps_every_write_of_the_unit(store: Store) -> None:
    first, second = await seed(store, "one", "two")
    async with store.unit_of_work() as work:
        added = await work.tasks.add(make_draft(title="three", priority=5), T0)
        await work.tasks.remove(first.id)
        await work.commit()
    assert await stored(store) == [second, added]


async def test_no_one_reads_what_another_unit_has_not_committed(store: Store) -> None:
    async def read_meanwhile() -> list[Task]:
        return await stored(store)

    async with store.unit_of_work() as work:
        await work.tasks.add(make_draft(title="uncommitted", priority=1), T0)
        reader = asyncio.create_task(read_meanwhile())
        await asyncio.sleep(0.05)  # let the reader run as far as the store lets it
    assert await reader == []


async def test_for_update_makes_a_second_writer_wait_and_see_the_first_ones_change(store: Store) -> None:
    (task,) = await seed(store, "contended")
    first_holds = asyncio.Event()

    async def bump(priority: int, *, first: bool) -> int:
        async with store.unit_of_work() as work:
            current = await work.tasks.get(task.id, for_update=True)
            assert current is not None
            if first:
                first_holds.set()
                await asyncio.sleep(0.05)  # the second writer tries now, and must wait
            updated, names = apply_changes(current, make_changes(priority=priority), T0 + timedelta(seconds=1))
            await work.tasks.update(updated, names)
            await work.commit()
            return updated.version

    first = asyncio.create_task(bump(1, first=True))
    await first_holds.wait()
    second_version = await bump(5, first=False)
    assert (await first, second_version) == (2, 3)
    (final,) = await stored(store)
    assert (final.priority, final.version) == (5, 3)


async def test_concurrent_units_of_work_each_commit_their_own_task(store: Store) -> None:
    async def add(n: int) -> None:
        async with store.unit_of_work() as work:
            await work.tasks.add(make_draft(title=f"t{n}", priority=1 + n % 5), T0)
            await work.commit()

    await asyncio.gather(*(add(n) for n in range(40)))
    tasks = await stored(store)
    assert sorted(t.title for t in tasks) == sorted(f"t{n}" for n in range(40))
    async with store.unit_of_work() as work:
        assert (await work.tasks.list(TaskQuery(limit=1))).total == 40
