"""The listeners that ship with the service, and the one registry that wires them to events.

To add a listener: write an `async def listener(event) -> None` (or a class with such a
`__call__`) that does not block the event loop — or a plain `def` (or `__call__`) for work that
is quick and never waits, as `EventLog` — and add it to the entries below for the event types it
wants.
docs/events.md has the rules a listener must follow.
"""

from datetime import datetime
from typing import Final

import structlog

from taskservice.adapters.dispatcher import Listener, Registry
from taskservice.domain.events import (
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskEvent,
    TaskStatusChanged,
    TaskUpdated,
)

EVENT_LOGGER_NAME: Final = "taskservice.events"


def _utc_text(moment: datetime) -> str:
    # Text, so the dev console shows no repr; the same text msgspec writes for a UTC datetime.
    return moment.isoformat().replace("+00:00", "Z")


class EventLog:
    """One structured line per event. Its `event` field is the event's type (`TaskCompleted`), so
    operators filter domain events by logger `taskservice.events` and one kind by `event`."""

    def __init__(self) -> None:
        # A lazy proxy: it takes logging as configured when it first writes (after start-up, or
        # inside a test's `capture_logs`), then keeps that logger (`cache_logger_on_first_use`).
        self._log = structlog.get_logger(EVENT_LOGGER_NAME)

    def __call__(self, event: TaskEvent) -> None:
        fields: dict[str, object] = {}
        if isinstance(event, TaskUpdated):
            fields["changed_fields"] = list(event.changed_fields)
        elif isinstance(event, TaskStatusChanged):
            fields["from_status"] = event.from_status.value
            fields["to_status"] = event.to_status.value
        self._log.info(
            type(event).__name__,
            event_id=str(event.event_id),
            task_id=event.task.id,
            request_id=event.request_id,
            occurred_at=_utc_text(event.occurred_at),
            **fields,
        )


def default_registry(*extra: Listener) -> Registry:
    """Every event type and its listeners, in one place. `extra` listeners (tests, embedders)
    receive every event type, after the shipped ones."""
    log_event = EventLog()
    return {
        TaskCreated: (log_event, *extra),
        TaskUpdated: (log_event, *extra),
        TaskStatusChanged: (log_event, *extra),
        TaskCompleted: (log_event, *extra),
        TaskDeleted: (log_event, *extra),
    }
