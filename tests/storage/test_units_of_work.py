"""A unit of work on every store: what it leaves without committing is undone, no other unit of
work ever reads what it has not committed, and a task read for update is changed by one unit of
work at a time (no lost update)."""

import asyncio

import msgspec
import pytest

from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import Task, TaskStatus
from taskservice.ports.unit_of_work import Store
from tests.storage.stores import NOW, add, draft, get, listed


class Abandoned(Exception):
    """What makes a unit of work leave early in these tests."""


async def test_a_unit_of_work_that_leaves_without_committing_leaves_nothing(store: Store) -> None:
    kept = await add(store, "Kept", priority=2)
    doomed = await add(store, "Doomed", status=TaskStatus.COMPLETED)

    async with store.unit_of_work() as work:
        await work.tasks.add(draft("Never stored"), NOW)
        current = await work.tasks.get(kept.id, for_update=True)
        assert current == kept
        await work.tasks.update(msgspec.structs.replace(kept, title="Renamed", version=2), ["title"])
        assert await work.tasks.remove(doomed.id) == doomed

    assert await listed(store) == ([doomed, kept], 2)  # priority 3 first
    assert await listed(store, [TaskStatus.COMPLETED]) == ([doomed], 1)


async def test_an_error_inside_a_unit_of_work_undoes_its_writes_and_propagates(store: Store) -> None:
    async def abandon() -> None:
        async with store.unit_of_work() as work:
            await work.tasks.add(draft("Half done"), NOW)
            raise Abandoned

    with pytest.raises(Abandoned):
        await abandon()

    assert await listed(store) == ([], 0)
    assert (await add(store, "Half done")).title == "Half done"  # its title key is free again


async def test_a_unit_of_work_reads_its_own_writes_and_goes_on_reading_after_commit(store: Store) -> None:
    async with store.unit_of_work() as work:
        task = await work.tasks.add(draft("Mine", status=TaskStatus.IN_PROGRESS), NOW)
        assert await work.tasks.get(task.id) == task
        await work.commit()
        assert await work.tasks.get(task.id) == task
        page = await work.tasks.list(TaskQuery(statuses=frozenset({TaskStatus.IN_PROGRESS})))
        assert (page.items, page.total) == ([task], 1)

    assert await get(store, task.id) == task


async def _read_everything(store: Store, task_id: int) -> tuple[Task | None, list[Task], int]:
    async with store.unit_of_work() as work:
        one = await work.tasks.get(task_id)
        page = await work.tasks.list(TaskQuery())
    return one, page.items, page.total


async def test_no_unit_of_work_reads_what_another_has_written_but_not_committed(store: Store) -> None:
    existing = await add(store, "Existing")

    async with store.unit_of_work() as writer:
        await writer.tasks.add(draft("Uncommitted"), NOW)
        await writer.tasks.get(existing.id, for_update=True)
        await writer.tasks.update(msgspec.structs.replace(existing, priority=5, version=2), ["priority"])
        # A reader meanwhile: it either answers now or waits for the writer to end.
        reader = asyncio.create_task(_read_everything(store, existing.id))
        await asyncio.sleep(0.05)

    assert await reader == (existing, [existing], 1)


async def test_a_reader_sees_a_committed_write_whole_or_not_at_all(store: Store) -> None:
    existing = await add(store, "Existing")

    async with store.unit_of_work() as writer:
        added = await writer.tasks.add(draft("Committed"), NOW)
        await writer.tasks.get(existing.id, for_update=True)
        changed = msgspec.structs.replace(existing, priority=5, version=2)
        await writer.tasks.update(changed, ["priority"])
        reader = asyncio.create_task(_read_everything(store, existing.id))
        await asyncio.sleep(0.05)
        await writer.commit()

    assert await reader in ((existing, [existing], 1), (changed, [changed, added], 2))
    assert await _read_everything(store, existing.id) == (changed, [changed, added], 2)


async def _bump_priority(store: Store, task_id: int) -> None:
    async with store.unit_of_work() as work:
        current = await work.tasks.get(task_id, for_update=True)
        assert current is not None
        await asyncio.sleep(0)  # let the other writers try meanwhile
        bumped = msgspec.structs.replace(current, priority=current.priority + 1, version=current.version + 1)
        await work.tasks.update(bumped, ["priority"])
        await work.commit()


async def test_concurrent_read_modify_writes_of_one_task_lose_no_update(store: Store) -> None:
    task = await add(store, "Contended", priority=1)

    await asyncio.gather(*(_bump_priority(store, task.id) for _ in range(4)))

    stored = await get(store, task.id)
    assert stored is not None
    assert (stored.priority, stored.version) == (5, 5)
