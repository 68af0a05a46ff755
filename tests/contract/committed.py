"""A store's task repository as one operation at a time sees it: each call its own unit of work."""

from datetime import datetime

from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft
from taskservice.ports.unit_of_work import Store


class Committed:
    """The repository of `store`, each call in a unit of work of its own that commits."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        async with self.store.unit_of_work() as work:
            task = await work.tasks.add(draft, now, actor_id)
            await work.commit()
        return task

    async def get(self, task_id: int) -> Task | None:
        async with self.store.unit_of_work() as work:
            return await work.tasks.get(task_id)

    async def update(self, task: Task, changed: tuple[str, ...]) -> None:
        async with self.store.unit_of_work() as work:
            assert await work.tasks.get(task.id, for_update=True) is not None
            await work.tasks.update(task, changed)
            await work.commit()

    async def remove(self, task_id: int) -> Task | None:
        async with self.store.unit_of_work() as work:
            task = await work.tasks.remove(task_id)
            await work.commit()
        return task

    async def list(self, query: TaskQuery) -> TaskPage:
        async with self.store.unit_of_work() as work:
            return await work.tasks.list(query)
