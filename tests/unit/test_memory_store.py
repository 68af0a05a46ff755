"""The in-memory store: state per instance, and an undo journal that leaves the store as it was found
when a unit of work ends without committing."""

import msgspec

from taskservice.adapters.memory import MemoryStore
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import make_draft
from tests.fakes import T0


async def add(store: MemoryStore, title: str) -> int:
    async with store.unit_of_work() as work:
        task = await work.tasks.add(make_draft(title=title, priority=1), T0)
        await work.commit()
    return task.id


async def is_taken(store: MemoryStore, title: str) -> bool:
    async with store.unit_of_work() as work:  # never commits
        try:
            await work.tasks.add(make_draft(title=title, priority=1), T0)
        except DuplicateTitle:
            return True
    return False


async def test_two_in_memory_stores_share_nothing() -> None:
    first, second = MemoryStore(), MemoryStore()
    await add(first, "only here")
    async with second.unit_of_work() as work:
        assert (await work.tasks.list(TaskQuery())).total == 0
    assert await add(second, "only here") == 1


async def test_a_unit_of_work_left_without_commit_undoes_every_write_and_frees_the_keys_it_took() -> None:
    store = MemoryStore()
    kept, renamed, removed = [await add(store, title) for title in ("kept", "renamed", "removed")]
    before = store.snapshot()

    async with store.unit_of_work() as work:
        await work.tasks.add(make_draft(title="added", priority=2), T0)
        await work.tasks.remove(removed)
        current = await work.tasks.get(renamed, for_update=True)
        assert current is not None
        # Onto the key the removal freed: undone in any order but the reverse, the keys would tangle.
        await work.tasks.update(msgspec.structs.replace(current, title="Removed", version=2), ("title",))
        await work.tasks.remove(kept)

    assert store.snapshot() == before
    assert [await is_taken(store, title) for title in ("kept", "renamed", "removed")] == [True, True, True]
    assert await add(store, "added") == 5, "the title key is free again, but ids are not handed back"


async def test_what_was_committed_stays_when_the_unit_of_work_goes_on_and_fails() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as work:
        first = await work.tasks.add(make_draft(title="first", priority=1), T0)
        await work.commit()
        await work.tasks.add(make_draft(title="second", priority=1), T0)

    assert store.snapshot() == [first]
