"""The task use cases: each one a single atomic write or read, events published after commit."""

import uuid
from collections.abc import Callable
from typing import Final

from taskservice.domain.errors import ConcurrentUpdate, EmptyUpdate, TaskNotFound
from taskservice.domain.events import events_for_create, events_for_delete, events_for_update
from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskChanges, TaskDraft, apply_changes, changes_from_draft
from taskservice.ports.clock import Clock
from taskservice.ports.events import EventPublisher
from taskservice.ports.repository import TaskRepository

# Optimistic writes retry when another writer changed the task between read and write.
MAX_WRITE_ATTEMPTS: Final = 8


class TaskUseCases:
    def __init__(
        self,
        repository: TaskRepository,
        clock: Clock,
        publisher: EventPublisher,
        new_event_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._publisher = publisher
        self._new_event_id = new_event_id

    async def create(self, draft: TaskDraft, *, request_id: str | None = None) -> Task:
        """Create a task. Raises `DuplicateTitle` if its title key is taken."""
        now = self._clock.now()
        task = await self._repository.add(draft, now)
        # Published only once the store has committed; nothing is awaited in between.
        self._publisher.publish(
            events_for_create(task, occurred_at=now, request_id=request_id, new_id=self._new_event_id)
        )
        return task

    async def get(self, task_id: int) -> Task:
        """Fetch one task. Raises `TaskNotFound`."""
        task = await self._repository.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def list(self, query: TaskQuery) -> TaskPage:
        """One page of tasks matching the filter, in the contract's total order."""
        return await self._repository.list(query)

    async def replace(self, task_id: int, draft: TaskDraft, *, request_id: str | None = None) -> Task:
        """Replace every caller-owned field. Equal values change nothing and publish nothing."""
        return await self._update(task_id, changes_from_draft(draft), request_id)

    async def patch(self, task_id: int, changes: TaskChanges, *, request_id: str | None = None) -> Task:
        """Change the given fields. Raises `EmptyUpdate` if none is given."""
        if changes.is_empty():
            raise EmptyUpdate()
        return await self._update(task_id, changes, request_id)

    async def delete(self, task_id: int, *, request_id: str | None = None) -> Task:
        """Delete a task and return its last state. Raises `TaskNotFound`."""
        task = await self._repository.remove(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        self._publisher.publish(
            events_for_delete(task, occurred_at=self._clock.now(), request_id=request_id, new_id=self._new_event_id)
        )
        return task

    async def _update(self, task_id: int, changes: TaskChanges, request_id: str | None) -> Task:
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = await self._repository.get(task_id)
            if current is None:
                raise TaskNotFound(task_id)
            now = self._clock.now()
            updated, changed = apply_changes(current, changes, now)
            if not changed:
                return current
            stored = await self._repository.save(updated, expected_version=current.version, changed=changed)
            if stored is None:
                continue  # deleted or changed meanwhile; the next read tells which
            self._publisher.publish(
                events_for_update(
                    current,
                    stored,
                    changed,
                    occurred_at=now,
                    request_id=request_id,
                    new_id=self._new_event_id,
                )
            )
            return stored
        raise ConcurrentUpdate(task_id)
