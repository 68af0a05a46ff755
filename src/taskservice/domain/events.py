"""Domain events: small immutable facts, published only after the write that caused them committed."""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import msgspec

from taskservice.domain.task import Task, TaskStatus


class TaskEvent(msgspec.Struct, frozen=True, kw_only=True, tag_field="event", tag=True):
    """Common envelope of every event. `request_id` is that of the request that caused it."""

    event_id: UUID
    occurred_at: datetime
    request_id: str | None
    task: Task


class TaskCreated(TaskEvent, frozen=True, kw_only=True):
    pass


class TaskUpdated(TaskEvent, frozen=True, kw_only=True):
    previous: Task
    changed_fields: tuple[str, ...]


class TaskStatusChanged(TaskEvent, frozen=True, kw_only=True):
    from_status: TaskStatus
    to_status: TaskStatus


class TaskCompleted(TaskEvent, frozen=True, kw_only=True):
    pass


class TaskDeleted(TaskEvent, frozen=True, kw_only=True):
    """`task` is the snapshot of the task as it was when deleted."""


EVENT_TYPES: tuple[type[TaskEvent], ...] = (
    TaskCreated,
    TaskUpdated,
    TaskStatusChanged,
    TaskCompleted,
    TaskDeleted,
)


def events_for_update(
    previous: Task,
    current: Task,
    changed_fields: tuple[str, ...],
    *,
    occurred_at: datetime,
    request_id: str | None,
    new_id: Callable[[], UUID],
) -> list[TaskEvent]:
    """The events one effective update publishes, in the contract's order."""
    if not changed_fields:
        return []
    events: list[TaskEvent] = [
        TaskUpdated(
            event_id=new_id(),
            occurred_at=occurred_at,
            request_id=request_id,
            task=current,
            previous=previous,
            changed_fields=changed_fields,
        )
    ]
    if "status" in changed_fields:
        events.append(
            TaskStatusChanged(
                event_id=new_id(),
                occurred_at=occurred_at,
                request_id=request_id,
                task=current,
                from_status=previous.status,
                to_status=current.status,
            )
        )
        if current.status is TaskStatus.COMPLETED:
            events.append(
                TaskCompleted(event_id=new_id(), occurred_at=occurred_at, request_id=request_id, task=current)
            )
    return events
