"""The task use cases: each one unit of work, its events published after it commits."""

import uuid
from collections.abc import Callable

from taskservice.domain.errors import EmptyUpdate, TaskNotFound
from taskservice.domain.events import events_for_create, events_for_delete, events_for_update
from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskChanges, TaskDraft, apply_changes, changes_from_draft
from taskservice.ports.clock import Clock
from taskservice.ports.events import EventPublisher
from taskservice.ports.unit_of_work import UnitOfWork


class TaskUseCases:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        clock: Clock,
        publisher: EventPublisher,
        new_event_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._publisher = publisher
        self._new_event_id = new_event_id

    async def create(self, draft: TaskDraft, *, request_id: str | None = None, actor_id: int | None = None) -> Task:
        """Create a task made by `actor_id`. Raises `DuplicateTitle` if its title key is taken."""
        now = self._clock.now()
        async with self._unit_of_work() as work:
            task = await work.tasks.add(draft, now, actor_id)
            await work.commit()
        self._publisher.publish(
            events_for_create(task, occurred_at=now, request_id=request_id, new_id=self._new_event_id)
        )
        return task

    async def get(self, task_id: int) -> Task:
        """Fetch one task. Raises `TaskNotFound`."""
        async with self._unit_of_work() as work:
            task = await work.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def list(self, query: TaskQuery) -> TaskPage:
        """One page of tasks matching the filter, in the contract's total order."""
        async with self._unit_of_work() as work:
            return await work.tasks.list(query)

    async def replace(
        self, task_id: int, draft: TaskDraft, *, request_id: str | None = None, actor_id: int | None = None
    ) -> Task:
        """Replace every caller-owned field. Equal values change nothing and publish nothing."""
        return await self._update(task_id, changes_from_draft(draft), request_id, actor_id)

    async def patch(
        self, task_id: int, changes: TaskChanges, *, request_id: str | None = None, actor_id: int | None = None
    ) -> Task:
        """Change the given fields. Raises `EmptyUpdate` if none is given."""
        if changes.is_empty():
            raise EmptyUpdate()
        return await self._update(task_id, changes, request_id, actor_id)

    async def delete(
        self,
        task_id: int,
        *,
        request_id: str | None = None,
        actor_id: int | None = None,  # noqa: ARG002 - the event log (issue 21) records who deleted
    ) -> Task:
        """Delete a task and return its last state. Raises `TaskNotFound`. (`actor_id`: who
        deleted it, for the event log to come; the deleted task keeps its last `updated_by`.)"""
        async with self._unit_of_work() as work:
            task = await work.tasks.remove(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            await work.commit()
        self._publisher.publish(
            events_for_delete(task, occurred_at=self._clock.now(), request_id=request_id, new_id=self._new_event_id)
        )
        return task

    async def _update(self, task_id: int, changes: TaskChanges, request_id: str | None, actor_id: int | None) -> Task:
        async with self._unit_of_work() as work:
            current = await work.tasks.get(task_id, for_update=True)
            if current is None:
                raise TaskNotFound(task_id)
            now = self._clock.now()
            updated, changed = apply_changes(current, changes, now, actor_id)
            if not changed:
                return current
            await work.tasks.update(updated, changed)
            await work.commit()
        self._publisher.publish(
            events_for_update(
                current, updated, changed, occurred_at=now, request_id=request_id, new_id=self._new_event_id
            )
        )
        return updated
