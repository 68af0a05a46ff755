"""The task store, as the use cases see it."""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft


class TaskRepository(Protocol):
    """A durable set of tasks, unique by title key.

    Every method is atomic. Any method may raise `StorageUnavailable` when the store cannot
    be reached or is saturated; it is then unknown only for `add`, `save` and `remove`
    whether the write happened.
    """

    async def add(self, draft: TaskDraft, now: datetime) -> Task:
        """Store a new task with a fresh id (never reused), `version` 1 and both timestamps `now`.

        Raises `DuplicateTitle` if another task has the same title key; the store's unique
        index decides, so concurrent adds of one key leave exactly one task.
        """
        ...

    async def get(self, task_id: int) -> Task | None:
        """The task with this id, or None."""
        ...

    async def save(self, task: Task, expected_version: int, changed: Collection[str] | None = None) -> Task | None:
        """Replace the stored task `task.id` with `task` if its version is still `expected_version`.

        `changed`: the caller-owned fields that differ from the stored version (None: any may).
        A store may write only those (and `updated_at`, `version`): the others are unchanged.

        Returns the stored task, or None when no task with that id and version exists
        (deleted, or changed meanwhile: re-read to tell). Raises `DuplicateTitle` when the
        new title key belongs to another task.
        """
        ...

    async def remove(self, task_id: int) -> Task | None:
        """Delete the task and return its last state, or None if there was none."""
        ...

    async def list(self, query: TaskQuery) -> TaskPage:
        """One page in the contract's total order, and the count of all matches."""
        ...


class HealthCheck(Protocol):
    async def ping(self) -> None:
        """Make one real round-trip to the store; raise if it does not answer."""
        ...


class TaskStore(TaskRepository, HealthCheck, Protocol):
    """A task repository that can also report whether its store answers."""
