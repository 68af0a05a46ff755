"""Every event type is wired to the shipped listener, and every event survives the trip out of
the process (JSON and back) unchanged."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from taskservice.adapters.listeners import EventLog, default_registry
from taskservice.domain.events import (
    EVENT_TYPES,
    AnyTaskEvent,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskEvent,
    TaskStatusChanged,
    TaskUpdated,
)
from taskservice.domain.task import TaskStatus
from tests.fakes import make_task

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def all_subclasses(cls: type[TaskEvent]) -> set[type[TaskEvent]]:
    found: set[type[TaskEvent]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_every_event_type_is_listed_and_published_as_a_union_member() -> None:
    assert set(EVENT_TYPES) == all_subclasses(TaskEvent)
    assert set(EVENT_TYPES) == set(AnyTaskEvent.__args__)


def test_every_event_type_has_a_registry_entry_with_the_log_listener() -> None:
    async def extra(event: TaskEvent) -> None:
        return None

    registry = default_registry(extra)
    log_event = registry[TaskCreated][0]

    assert isinstance(log_event, EventLog)
    for event_type in all_subclasses(TaskEvent):
        assert event_type in registry, f"{event_type.__name__} has no listeners"
        assert list(registry[event_type]) == [log_event, extra]


def sample_events() -> list[TaskEvent]:
    task = make_task(
        id=7, title="Ship it", status=TaskStatus.COMPLETED, priority=5, created_at=NOW, updated_at=NOW, version=2
    )
    previous = msgspec.structs.replace(task, status=TaskStatus.NEW, version=1)
    return [
        TaskCreated(event_id=uuid.uuid4(), occurred_at=NOW, request_id="req-1", task=task),
        TaskUpdated(
            event_id=uuid.uuid4(),
            occurred_at=NOW,
            request_id="req-1",
            task=task,
            previous=previous,
            changed_fields=("status",),
        ),
        TaskStatusChanged(
            event_id=uuid.uuid4(),
            occurred_at=NOW,
            request_id="req-1",
            task=task,
            from_status=TaskStatus.NEW,
            to_status=TaskStatus.COMPLETED,
        ),
        TaskCompleted(event_id=uuid.uuid4(), occurred_at=NOW, request_id="req-1", task=task),
        TaskDeleted(event_id=uuid.uuid4(), occurred_at=NOW, request_id="req-1", task=task),
    ]


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: type(e).__name__)
def test_an_event_round_trips_through_json_with_its_type(event: TaskEvent) -> None:
    wire = msgspec.json.encode(event)

    assert msgspec.json.decode(wire)["event"] == type(event).__name__
    assert msgspec.json.decode(wire, type=AnyTaskEvent) == event


def test_events_are_immutable() -> None:
    event = sample_events()[0]

    with pytest.raises(AttributeError):
        event.request_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "occurred_at",
    [datetime(2026, 1, 2), datetime(2026, 1, 2, tzinfo=timezone(timedelta(hours=2)))],  # noqa: DTZ001 - naive on purpose
)
def test_an_event_refuses_a_time_that_is_not_utc(occurred_at: datetime) -> None:
    task = sample_events()[0].task

    with pytest.raises(ValueError, match="UTC"):
        TaskCreated(event_id=uuid.uuid4(), occurred_at=occurred_at, request_id=None, task=task)
