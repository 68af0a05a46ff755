"""An in-memory task store: per-instance state, gone with the process. For tests and throw-away runs."""

from collections.abc import Collection
from datetime import datetime

import msgspec

from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskPage, TaskQuery, order_tasks
from taskservice.domain.task import Task, TaskDraft, new_task


class InMemoryTaskRepository:
    """Holds the `TaskRepository` contract without awaiting anything, so every method is atomic."""

    def __init__(self) -> None:
        self._tasks: dict[int, Task] = {}
        self._ids_by_key: dict[str, int] = {}
        self._last_id = 0

    async def add(self, draft: TaskDraft, now: datetime) -> Task:
        key = draft.title.casefold()
        if key in self._ids_by_key:
            raise DuplicateTitle(draft.title)
        self._last_id += 1
        task = new_task(draft, self._last_id, now)
        self._tasks[task.id] = task
        self._ids_by_key[key] = task.id
        return task

    async def get(self, task_id: int) -> Task | None:
        return self._tasks.get(task_id)

    async def save(self, task: Task, expected_version: int, changed: Collection[str] | None = None) -> Task | None:  # noqa: ARG002 - a dict stores whole tasks
        current = self._tasks.get(task.id)
        if current is None or current.version != expected_version:
            return None
        new_key = task.title_key
        holder = self._ids_by_key.get(new_key)
        if holder is not None and holder != task.id:
            raise DuplicateTitle(task.title)
        del self._ids_by_key[current.title_key]
        self._ids_by_key[new_key] = task.id
        self._tasks[task.id] = task
        return task

    async def remove(self, task_id: int) -> Task | None:
        task = self._tasks.pop(task_id, None)
        if task is not None:
            del self._ids_by_key[task.title_key]
        return task

    async def list(self, query: TaskQuery) -> TaskPage:
        matching = [t for t in self._tasks.values() if t.status in query.statuses]
        ordered = order_tasks(matching, query.order_by, query.order_dir)
        page = ordered[query.offset : query.offset + query.limit]
        return TaskPage(items=page, total=len(matching), limit=query.limit, offset=query.offset)

    async def ping(self) -> None:
        return None


def snapshot(repository: InMemoryTaskRepository) -> list[Task]:
    """Every stored task, by id (for tests that check nothing else changed)."""
    return [msgspec.structs.replace(t) for _, t in sorted(repository._tasks.items())]  # pyright: ignore[reportPrivateUsage]
