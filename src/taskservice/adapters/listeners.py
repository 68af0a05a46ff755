"""The listeners that ship with the service, and the one registry that wires them to events.

To add a listener: write an `async def listener(event) -> None` (or a class with such a
`__call__`) that does not block the event loop — or a plain `def` (or `__call__`) for work that
is quick and never waits, as `EventLog` — and add it to the entries below for the event types it
wants.
docs/events.md has the rules a listener must follow.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Final
from uuid import UUID

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

# Writes one info line of logger `taskservice.events`: `line(event_name, **fields)`. A field may
# be a UUID or a UTC datetime: a JSON writer (logs.info_line, msgspec) writes those as their
# canonical text itself, in C, where `str(uuid)` and `isoformat()` are Python calls per event.
LogLine = Callable[..., None]


def _as_text(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")  # as msgspec writes a UTC datetime
    return value


def _structlog_line(event: str, **fields: object) -> None:
    # Looked up per line, not cached: a logger cached before logging is configured (or before a
    # test captures logs) would keep the old pipeline. Text, so the dev console shows no reprs.
    structlog.stdlib.get_logger(EVENT_LOGGER_NAME).info(event, **{k: _as_text(v) for k, v in fields.items()})


class EventLog:
    """One structured line per event. Its `event` field is the event's type (`TaskCompleted`), so
    operators filter domain events by logger `taskservice.events` and one kind by `event`.

    `line` writes it; the composition root passes the fast JSON writer of qa/prod (logs.info_line).
    """

    def __init__(self, line: LogLine | None = None) -> None:
        self._line = line or _structlog_line

    def __call__(self, event: TaskEvent) -> None:
        fields: dict[str, object] = {}
        if isinstance(event, TaskUpdated):
            fields["changed_fields"] = list(event.changed_fields)
        elif isinstance(event, TaskStatusChanged):
            fields["from_status"] = event.from_status.value
            fields["to_status"] = event.to_status.value
        self._line(
            type(event).__name__,
            event_id=event.event_id,
            task_id=event.task.id,
            request_id=event.request_id,
            occurred_at=event.occurred_at,
            **fields,
        )


def default_registry(*extra: Listener, log_line: LogLine | None = None) -> Registry:
    """Every event type and its listeners, in one place. `extra` listeners (tests, embedders)
    receive every event type, after the shipped ones; `log_line` writes the event log's lines."""
    log_event = EventLog(log_line)
    return {
        TaskCreated: (log_event, *extra),
        TaskUpdated: (log_event, *extra),
        TaskStatusChanged: (log_event, *extra),
        TaskCompleted: (log_event, *extra),
        TaskDeleted: (log_event, *extra),
    }
