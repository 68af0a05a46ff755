"""The task store as a use case sees it inside one unit of work (ports/unit_of_work.py)."""

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple, Protocol

from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft


class TaskRepository(Protocol):
    """A durable set of tasks, unique by title key, seen through one unit of work.

    What a method writes is kept only if the unit of work commits. Any method may raise
    `StorageUnavailable` when the store cannot be reached or is saturated.
    """

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        """Store a new task with a fresh id (never reused), `version` 1, both timestamps `now`, and
        `actor_id` as `created_by` and `updated_by`.

        Raises `DuplicateTitle` if another task has the same title key; the store's unique
        index decides, so concurrent adds of one key leave exactly one task.
        """
        ...

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        """The task with this id, or None. `for_update`: no other unit of work may change or
        delete it until this one ends (read it this way before `update`)."""
        ...

    async def update(self, task: Task, changed: Collection[str]) -> None:
        """Store `task` over the stored task of its id, read with `for_update` in this unit of work.

        `changed`: the caller-owned fields that differ from the stored ones; a store may write
        only those (and `updated_at`, `version`, `updated_by`). Raises `DuplicateTitle` when the new title
        key belongs to another task.
        """
        ...

    async def remove(self, task_id: int) -> Task | None:
        """Delete the task and return its last state, or None if there was none."""
        ...

    async def list(self, query: TaskQuery) -> TaskPage:
        """One page in the contract's total order, and the count of all matches, from one snapshot."""
        ...


class PoolUsage(NamedTuple):
    """A store's connections: how many it may hold (`size`) and how many are taken now."""

    size: int
    in_use: int


class HealthCheck(Protocol):
    async def ping(self) -> None:
        """Make one real round-trip to the store; raise if it does not answer."""
        ...

    def pool(self) -> PoolUsage | None:
        """The connections right now, without I/O; None for a store that has none (memory) or is closed."""
        ...
