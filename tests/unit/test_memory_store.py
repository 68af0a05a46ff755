"""The in-memory store keeps its tasks per instance: two apps (or two tests) never share state."""

from taskservice.adapters.memory import InMemoryTaskRepository
from taskservice.domain.listing import TaskQuery
from taskservice.domain.task import make_draft
from tests.fakes import T0


async def test_two_in_memory_stores_share_nothing() -> None:
    first, second = InMemoryTaskRepository(), InMemoryTaskRepository()
    await first.add(make_draft(title="only here", priority=1), T0)
    assert (await second.list(TaskQuery())).total == 0
    assert (await second.add(make_draft(title="only here", priority=1), T0)).id == 1
