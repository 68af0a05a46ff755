"""Domain events: small immutable facts, published only after the write that caused them committed.

Every event is a tagged msgspec Struct, so `msgspec.json.encode(event)` carries its type in the
`event` field and `msgspec.json.decode(data, type=AnyTaskEvent)` restores it: the same values can
later travel through an outbox table and a broker unchanged (docs/events.md).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from taskservice.domain.task import Task, TaskStatus

NewEventId = Callable[[], UUID]


class TaskEvent(msgspec.Struct, frozen=True, kw_only=True, tag_field="event", tag=True):
    """Common envelope of every event.

    `occurred_at` is the UTC time of the write; `request_id` is that of the request that caused
    it (None only for writes no request caused, such as a script calling the use cases).
    """

    event_id: UUID
    occurred_at: datetime
    request_id: str | None
    task: Task

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() != timedelta(0):
            raise ValueError("occurred_at must be a timezone-aware UTC datetime")


class TaskCreated(TaskEvent, frozen=True, kw_only=True):
    """A task was created; `task` as stored."""


class TaskUpdated(TaskEvent, frozen=True, kw_only=True):
    """A PUT or PATCH changed at least one field; `changed_fields` in the order title, description,
    status, priority."""

    previous: Task
    changed_fields: tuple[str, ...]


class TaskStatusChanged(TaskEvent, frozen=True, kw_only=True):
    """The status was among the changed fields (published right after `TaskUpdated`)."""

    from_status: TaskStatus
    to_status: TaskStatus


class TaskCompleted(TaskEvent, frozen=True, kw_only=True):
    """The status changed to `completed` (published right after `TaskStatusChanged`)."""


class TaskDeleted(TaskEvent, frozen=True, kw_only=True):
    """A task was deleted; `task` is its snapshot as it was when deleted."""


AnyTaskEvent = TaskCreated | TaskUpdated | TaskStatusChanged | TaskCompleted | TaskDeleted
EVENT_TYPES: tuple[type[TaskEvent], ...] = (
    TaskCreated,
    TaskUpdated,
    TaskStatusChanged,
    TaskCompleted,
    TaskDeleted,
)


def events_for_create(
    task: Task, *, occurred_at: datetime, request_id: str | None, new_id: NewEventId
) -> list[TaskEvent]:
    return [TaskCreated(event_id=new_id(), occurred_at=occurred_at, request_id=request_id, task=task)]


def events_for_delete(
    task: Task, *, occurred_at: datetime, request_id: str | None, new_id: NewEventId
) -> list[TaskEvent]:
    return [TaskDeleted(event_id=new_id(), occurred_at=occurred_at, request_id=request_id, task=task)]


def events_for_update(
    previous: Task,
    current: Task,
    changed_fields: tuple[str, ...],
    *,
    occurred_at: datetime,
    request_id: str | None,
    new_id: NewEventId,
) -> list[TaskEvent]:
    """The events one update publishes, in the contract's order; none when nothing changed."""
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
