"""Every store keeps who created a task and who last changed it (`created_by`, `updated_by`)."""

from datetime import timedelta

from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import Task, apply_changes, make_changes, make_draft
from tests.contract.committed import Committed
from tests.fakes import T0


async def listed(repository: Committed) -> list[Task]:
    return sorted((await repository.list(TaskQuery(limit=100))).items, key=lambda t: t.id)


async def test_add_records_the_actor_as_creator_and_last_changer(repository: Committed) -> None:
    task = await repository.add(make_draft(title="Mine", priority=3), T0, 7)
    assert (task.created_by, task.updated_by) == (7, 7)
    assert await repository.get(task.id) == task
    assert await listed(repository) == [task]


async def test_a_task_added_by_no_one_has_no_actors(repository: Committed) -> None:
    task = await repository.add(make_draft(title="Anonymous", priority=3), T0)
    assert (task.created_by, task.updated_by) == (None, None)
    assert await repository.get(task.id) == task


async def test_update_records_the_new_actor_and_keeps_the_creator(repository: Committed) -> None:
    task = await repository.add(make_draft(title="Shared", priority=3), T0, 7)
    other = await repository.add(make_draft(title="Other", priority=3), T0, 8)
    for actor, priority in ((9, 1), (None, 2), (2**63 - 1, 5)):
        task, names = apply_changes(task, make_changes(priority=priority), T0 + timedelta(seconds=priority), actor)
        await repository.update(task, names)
        assert (task.created_by, task.updated_by) == (7, actor)
        assert await repository.get(task.id) == task
    assert await listed(repository) == [task, other]


async def test_remove_returns_the_actors_with_the_last_state(repository: Committed) -> None:
    task = await repository.add(make_draft(title="Gone", priority=3), T0, 3)
    task, names = apply_changes(task, make_changes(description="last"), T0, 4)
    await repository.update(task, names)
    assert await repository.remove(task.id) == task
