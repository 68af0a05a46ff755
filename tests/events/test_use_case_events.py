"""The events each use case publishes (docs/events.md), with a recording publisher."""

import asyncio
import uuid
from datetime import UTC, timedelta
from typing import Literal

import msgspec
import pytest
from hypothesis import given

from taskservice.domain.errors import DuplicateTitle, EmptyUpdate, StorageUnavailable, TaskNotFound
from taskservice.domain.events import (
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskStatusChanged,
    TaskUpdated,
    events_for_update,
)
from taskservice.domain.task import Task, TaskChanges, TaskStatus, make_changes, make_draft
from taskservice.usecases.tasks import TaskUseCases
from tests.events.fakes import JournalingPublisher, JournalingStore
from tests.fakes import FixedClock
from tests.strategies import descriptions, statuses, task_changes


class World:
    def __init__(self) -> None:
        self.journal: list[str] = []
        self.store = JournalingStore(self.journal)
        self.clock = FixedClock()
        self.publisher = JournalingPublisher(self.journal)
        self.tasks = TaskUseCases(self.store.unit_of_work, self.clock, self.publisher)

    async def seed(
        self, title: str = "Ship it", *, description: str | None = None, status: TaskStatus = TaskStatus.NEW
    ) -> Task:
        """A stored task, then a clean slate: no events, nothing journaled, a minute later."""
        draft = make_draft(title=title, priority=3, description=description, status=status)
        task = await self.tasks.create(draft, request_id="seed")
        self.publisher.clear()
        self.journal.clear()
        self.clock.advance(timedelta(minutes=1))
        return task


@pytest.fixture
def world() -> World:
    return World()


def names(world: World) -> list[str]:
    return [type(event).__name__ for event in world.publisher.events]


async def test_create_publishes_task_created_with_the_stored_task_after_commit(world: World) -> None:
    task = await world.tasks.create(make_draft(title="Ship it", priority=3), request_id="req-1")

    [event] = world.publisher.events
    assert isinstance(event, TaskCreated)
    assert event.task == task
    assert event.request_id == "req-1"
    assert event.occurred_at == world.clock.now()
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert world.journal == [f"committed add {task.id}", "published TaskCreated"]


async def test_patch_to_completed_publishes_three_events_in_one_batch_after_commit(world: World) -> None:
    before = await world.seed()

    after = await world.tasks.patch(
        before.id, make_changes(status=TaskStatus.COMPLETED, priority=5), request_id="req-2"
    )

    assert names(world) == ["TaskUpdated", "TaskStatusChanged", "TaskCompleted"]
    updated, status_changed, completed = world.publisher.events
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("status", "priority")
    assert updated.previous == before
    assert updated.task == after
    assert isinstance(status_changed, TaskStatusChanged)
    assert (status_changed.from_status, status_changed.to_status) == (TaskStatus.NEW, TaskStatus.COMPLETED)
    assert status_changed.task == after
    assert isinstance(completed, TaskCompleted)
    assert completed.task == after
    assert {e.request_id for e in world.publisher.events} == {"req-2"}
    assert {e.occurred_at for e in world.publisher.events} == {world.clock.now()}
    assert len({e.event_id for e in world.publisher.events}) == 3
    assert world.journal == [f"committed update {before.id}", "published TaskUpdated,TaskStatusChanged,TaskCompleted"]


async def test_changed_fields_follow_field_order_not_request_order(world: World) -> None:
    task = await world.seed()

    await world.tasks.patch(task.id, make_changes(priority=1, description="why", title="Ship it now"), request_id="r")

    [updated] = world.publisher.events
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("title", "description", "priority")


async def test_fields_sent_with_their_stored_values_are_not_changed_fields(world: World) -> None:
    task = await world.seed(description="same")

    await world.tasks.patch(task.id, make_changes(description="same", priority=4), request_id="r")

    [updated] = world.publisher.events
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("priority",)


async def test_a_status_change_not_to_completed_publishes_no_task_completed(world: World) -> None:
    task = await world.seed()

    await world.tasks.patch(task.id, make_changes(status=TaskStatus.IN_PROGRESS), request_id="r")

    assert names(world) == ["TaskUpdated", "TaskStatusChanged"]
    status_changed = world.publisher.events[1]
    assert isinstance(status_changed, TaskStatusChanged)
    assert (status_changed.from_status, status_changed.to_status) == (TaskStatus.NEW, TaskStatus.IN_PROGRESS)


async def test_reopening_a_completed_task_publishes_status_changed_from_completed(world: World) -> None:
    task = await world.seed(status=TaskStatus.COMPLETED)

    await world.tasks.patch(task.id, make_changes(status=TaskStatus.NEW), request_id="r")

    assert names(world) == ["TaskUpdated", "TaskStatusChanged"]
    status_changed = world.publisher.events[1]
    assert isinstance(status_changed, TaskStatusChanged)
    assert (status_changed.from_status, status_changed.to_status) == (TaskStatus.COMPLETED, TaskStatus.NEW)


async def test_a_title_case_change_is_an_update_of_the_title(world: World) -> None:
    task = await world.seed()

    await world.tasks.patch(task.id, make_changes(title="SHIP IT"), request_id="r")

    [updated] = world.publisher.events
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("title",)
    assert (updated.previous.title, updated.task.title) == ("Ship it", "SHIP IT")


async def test_put_publishes_the_fields_it_really_changed(world: World) -> None:
    task = await world.seed(description="old")

    await world.tasks.replace(task.id, make_draft(title="Ship it", priority=3), request_id="r")

    [updated] = world.publisher.events
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("description",)
    assert updated.task.description is None


async def test_nothing_is_published_for_a_no_op_patch(world: World) -> None:
    task = await world.seed(description="same")

    result = await world.tasks.patch(task.id, make_changes(title="Ship it", description="same"), request_id="r")

    assert result == task
    assert world.publisher.batches == []
    assert world.journal == []


async def test_nothing_is_published_for_a_no_op_put(world: World) -> None:
    task = await world.seed()

    result = await world.tasks.replace(task.id, make_draft(title="Ship it", priority=3), request_id="r")

    assert result == task
    assert world.publisher.batches == []


async def test_nothing_is_published_for_a_409_on_create(world: World) -> None:
    await world.seed()
    before = world.store.snapshot()

    with pytest.raises(DuplicateTitle):
        await world.tasks.create(make_draft(title=" SHIP IT ", priority=1), request_id="r")

    assert world.publisher.batches == []
    assert world.store.snapshot() == before


async def test_nothing_is_published_for_a_409_on_rename(world: World) -> None:
    await world.seed()
    other = await world.seed("Other")
    before = world.store.snapshot()

    with pytest.raises(DuplicateTitle):
        await world.tasks.patch(other.id, make_changes(title="ship it"), request_id="r")

    assert world.publisher.batches == []
    assert world.store.snapshot() == before


async def test_nothing_is_published_for_an_empty_patch(world: World) -> None:
    task = await world.seed()

    with pytest.raises(EmptyUpdate):
        await world.tasks.patch(task.id, make_changes(), request_id="r")

    assert world.publisher.batches == []


async def test_nothing_is_published_for_writes_to_a_missing_task(world: World) -> None:
    with pytest.raises(TaskNotFound):
        await world.tasks.patch(404, make_changes(priority=1), request_id="r")
    with pytest.raises(TaskNotFound):
        await world.tasks.replace(404, make_draft(title="x", priority=1), request_id="r")
    with pytest.raises(TaskNotFound):
        await world.tasks.delete(404, request_id="r")

    assert world.publisher.batches == []


@pytest.mark.parametrize("failing", ["writes", "commits"])
async def test_nothing_is_published_and_nothing_changes_when_the_store_fails_the_write(
    world: World, failing: Literal["writes", "commits"]
) -> None:
    task = await world.seed()
    before = world.store.snapshot()
    world.store.failing = failing

    with pytest.raises(StorageUnavailable):
        await world.tasks.create(make_draft(title="New", priority=1), request_id="r")
    with pytest.raises(StorageUnavailable):
        await world.tasks.patch(task.id, make_changes(status=TaskStatus.COMPLETED), request_id="r")
    with pytest.raises(StorageUnavailable):
        await world.tasks.delete(task.id, request_id="r")

    assert (world.publisher.batches, world.journal) == ([], [])
    assert world.store.snapshot() == before


async def test_concurrent_patches_each_publish_after_their_commit_against_the_state_they_replaced(world: World) -> None:
    task = await world.seed()

    first, second = await asyncio.gather(
        world.tasks.patch(task.id, make_changes(priority=5), request_id="r1"),
        world.tasks.patch(task.id, make_changes(title="Mine"), request_id="r2"),
    )

    assert world.journal == [f"committed update {task.id}", "published TaskUpdated"] * 2
    updates = [(e.previous, e.task, e.changed_fields) for e in world.publisher.events if isinstance(e, TaskUpdated)]
    assert updates == [(task, first, ("priority",)), (first, second, ("title",))]


async def test_delete_publishes_task_deleted_with_the_last_snapshot_after_commit(world: World) -> None:
    task = await world.seed(description="gone soon")

    await world.tasks.delete(task.id, request_id="req-3")

    [deleted] = world.publisher.events
    assert isinstance(deleted, TaskDeleted)
    assert deleted.task == task
    assert deleted.request_id == "req-3"
    assert deleted.occurred_at.tzinfo == UTC
    assert world.journal == [f"committed remove {task.id}", "published TaskDeleted"]
    assert world.store.snapshot() == []


async def test_the_update_rule_builds_no_event_when_no_field_changed(world: World) -> None:
    task = await world.seed()

    assert events_for_update(task, task, (), occurred_at=world.clock.now(), request_id="r", new_id=uuid.uuid4) == []


@given(initial_status=statuses, initial_description=descriptions, changes=task_changes())
async def test_any_patch_publishes_exactly_what_the_event_rules_say(
    initial_status: TaskStatus, initial_description: str | None, changes: TaskChanges
) -> None:
    world = World()
    before = await world.seed(description=initial_description, status=initial_status)

    after = await world.tasks.patch(before.id, changes, request_id="prop")

    sent = {f: getattr(changes, f) for f in ("title", "description", "status", "priority")}
    sent = {f: v.strip() if f == "title" and isinstance(v, str) else v for f, v in sent.items()}
    changed = tuple(f for f, v in sent.items() if v is not msgspec.UNSET and v != getattr(before, f))
    expected: list[str] = []
    if changed:
        expected.append("TaskUpdated")
    if "status" in changed:
        expected.append("TaskStatusChanged")
        if sent["status"] is TaskStatus.COMPLETED:
            expected.append("TaskCompleted")
    assert names(world) == expected
    assert after.version == before.version + (1 if changed else 0)
    if changed:
        updated = world.publisher.events[0]
        assert isinstance(updated, TaskUpdated)
        assert (updated.previous, updated.task, updated.changed_fields) == (before, after, changed)
        assert all(e.task == after and e.request_id == "prop" for e in world.publisher.events)
        assert len({e.event_id for e in world.publisher.events}) == len(expected)
