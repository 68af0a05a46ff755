"""The use cases against hand-written fakes: in-memory storage, a stepping clock, a recording publisher."""

import asyncio
from datetime import datetime, timedelta

import msgspec
import pytest

from taskservice.adapters.memory import MemoryStore, MemoryTaskRepository
from taskservice.domain.errors import DuplicateTitle, EmptyUpdate, TaskNotFound
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import Task, TaskStatus, make_changes, make_draft
from taskservice.usecases.tasks import TaskUseCases
from tests.fakes import T0, FixedClock, RecordingPublisher, SteppingClock, make_task, store_with


class SlowReader(MemoryTaskRepository):
    """Each read yields to other tasks before it answers, as a round-trip to a database would."""

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        task = await super().get(task_id, for_update=for_update)
        await asyncio.sleep(0)
        return task


@pytest.fixture
def store() -> MemoryStore:
    return store_with(SlowReader)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(start=T0, step=timedelta(seconds=1))


@pytest.fixture
def tasks(store: MemoryStore, clock: SteppingClock) -> TaskUseCases:
    return TaskUseCases(store.unit_of_work, clock, RecordingPublisher())


async def test_create_stores_a_task_with_version_one_and_both_timestamps_now(tasks: TaskUseCases) -> None:
    task = await tasks.create(make_draft(title=" Ship ", priority=4))
    assert task == make_task(id=1, title="Ship", priority=4, created_at=T0, updated_at=T0, version=1)
    assert await tasks.get(1) == task


async def test_create_raises_duplicate_title_when_the_key_is_taken_and_stores_nothing(
    tasks: TaskUseCases, store: MemoryStore
) -> None:
    await tasks.create(make_draft(title="Fix bug", priority=1))
    before = store.snapshot()
    with pytest.raises(DuplicateTitle):
        await tasks.create(make_draft(title=" FIX BUG ", priority=2))
    assert store.snapshot() == before


async def test_get_raises_task_not_found_for_an_unknown_id(tasks: TaskUseCases) -> None:
    with pytest.raises(TaskNotFound) as caught:
        await tasks.get(42)
    assert caught.value.task_id == 42


async def test_replace_resets_fields_left_out_to_their_create_defaults(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2, description="text", status=TaskStatus.IN_PROGRESS))
    replaced = await tasks.replace(created.id, make_draft(title="A", priority=2))
    assert (replaced.description, replaced.status) == (None, TaskStatus.NEW)
    assert replaced.version == 2
    assert replaced.updated_at > created.updated_at
    assert replaced.created_at == created.created_at


async def test_replace_with_equal_values_changes_nothing(tasks: TaskUseCases, store: MemoryStore) -> None:
    created = await tasks.create(make_draft(title="A", priority=2, description="d"))
    before = store.snapshot()
    assert await tasks.replace(created.id, make_draft(title="A", priority=2, description="d")) == created
    assert store.snapshot() == before


async def test_replace_raises_task_not_found_for_an_unknown_id(tasks: TaskUseCases) -> None:
    with pytest.raises(TaskNotFound):
        await tasks.replace(9, make_draft(title="A", priority=2))


async def test_patch_changes_only_the_fields_given(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2, description="keep"))
    patched = await tasks.patch(created.id, make_changes(status=TaskStatus.COMPLETED))
    assert patched == msgspec.structs.replace(
        created, status=TaskStatus.COMPLETED, updated_at=T0 + timedelta(seconds=1), version=2
    )


async def test_patch_with_null_clears_the_description(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2, description="gone soon"))
    assert (await tasks.patch(created.id, make_changes(description=None))).description is None


async def test_patch_with_no_fields_is_an_empty_update_even_for_an_unknown_id(tasks: TaskUseCases) -> None:
    with pytest.raises(EmptyUpdate):
        await tasks.patch(1, make_changes())


async def test_patch_may_rename_a_task_onto_its_own_key(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="fix bug", priority=2))
    assert (await tasks.patch(created.id, make_changes(title="Fix Bug"))).title == "Fix Bug"


async def test_patch_onto_another_tasks_key_raises_duplicate_title_and_changes_nothing(
    tasks: TaskUseCases, store: MemoryStore
) -> None:
    await tasks.create(make_draft(title="First", priority=1))
    second = await tasks.create(make_draft(title="Second", priority=1))
    before = store.snapshot()
    with pytest.raises(DuplicateTitle):
        await tasks.patch(second.id, make_changes(title="FIRST", priority=5))
    assert store.snapshot() == before


async def test_concurrent_patches_of_different_fields_both_apply_one_after_the_other(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2))
    first, second = await asyncio.gather(
        tasks.patch(created.id, make_changes(priority=5)), tasks.patch(created.id, make_changes(description="mine"))
    )
    # Each update holds the task from its read to its commit: the second reads what the first wrote.
    assert (first.version, second.version) == (2, 3)
    assert (second.priority, second.description) == (5, "mine")
    assert await tasks.get(created.id) == second


async def test_a_delete_waits_for_a_patch_holding_the_task_and_returns_the_patched_state(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2))
    patched, deleted = await asyncio.gather(tasks.patch(created.id, make_changes(priority=5)), tasks.delete(created.id))
    assert deleted == patched
    assert (await tasks.list(TaskQuery())).total == 0


async def test_updated_at_moves_forward_even_when_the_clock_goes_back(store: MemoryStore) -> None:
    clock = FixedClock(T0)
    tasks = TaskUseCases(store.unit_of_work, clock, RecordingPublisher())
    created = await tasks.create(make_draft(title="A", priority=2))
    clock.set(T0 - timedelta(hours=1))
    patched = await tasks.patch(created.id, make_changes(priority=3))
    assert patched.updated_at > created.updated_at


async def test_delete_returns_the_last_state_and_the_task_is_gone(tasks: TaskUseCases) -> None:
    created = await tasks.create(make_draft(title="A", priority=2))
    assert await tasks.delete(created.id) == created
    with pytest.raises(TaskNotFound):
        await tasks.delete(created.id)
    assert (await tasks.list(TaskQuery())).total == 0


async def test_ids_are_never_reused_after_a_delete(tasks: TaskUseCases) -> None:
    first = await tasks.create(make_draft(title="A", priority=2))
    await tasks.delete(first.id)
    assert (await tasks.create(make_draft(title="A", priority=2))).id == first.id + 1


async def test_list_pages_and_counts_every_match(tasks: TaskUseCases) -> None:
    for n in range(5):
        await tasks.create(make_draft(title=f"t{n}", priority=n + 1))
    page = await tasks.list(TaskQuery(limit=2, offset=1))
    assert [t.priority for t in page.items] == [4, 3]
    assert (page.total, page.limit, page.offset) == (5, 2, 1)


def test_the_stepping_clock_advances_by_its_step_on_every_call() -> None:
    clock = SteppingClock(start=T0, step=timedelta(milliseconds=5))
    readings: list[datetime] = [clock.now() for _ in range(3)]
    assert readings == [T0, T0 + timedelta(milliseconds=5), T0 + timedelta(milliseconds=10)]
