"""The listeners that ship with the service, and the one registry that wires them to events."""

import structlog

from taskservice.adapters.dispatcher import Listener, Registry
from taskservice.domain.events import (
    EVENT_TYPES,
    TaskEvent,
    TaskStatusChanged,
    TaskUpdated,
)

_log = structlog.get_logger("taskservice.events")


async def log_event(event: TaskEvent) -> None:
    """One structured log line per event."""
    fields: dict[str, object] = {}
    if isinstance(event, TaskUpdated):
        fields["changed_fields"] = list(event.changed_fields)
    if isinstance(event, TaskStatusChanged):
        fields["from_status"] = event.from_status.value
        fields["to_status"] = event.to_status.value
    _log.info(
        "domain_event",
        event_type=type(event).__name__,
        event_id=str(event.event_id),
        task_id=event.task.id,
        request_id=event.request_id,
        **fields,
    )


def default_registry(*extra: Listener) -> Registry:
    """Every event type and its listeners: the log listener, then any `extra` ones."""
    listeners: tuple[Listener, ...] = (log_event, *extra)
    return dict.fromkeys(EVENT_TYPES, listeners)
