"""The shipped listener: one structured line per event."""

from structlog.testing import capture_logs

from taskservice.adapters.listeners import EventLog
from tests.events.test_registry_and_payloads import sample_events


def test_logs_one_line_per_event_named_after_its_type_with_task_and_request() -> None:
    events = sample_events()
    log_event = EventLog()

    with capture_logs() as logs:
        for event in events:
            log_event(event)

    assert [line["event"] for line in logs] == [
        "TaskCreated",
        "TaskUpdated",
        "TaskStatusChanged",
        "TaskCompleted",
        "TaskDeleted",
    ]
    for line, event in zip(logs, events, strict=True):
        assert line["log_level"] == "info"
        assert line["event_id"] == str(event.event_id)
        assert line["task_id"] == 7
        assert line["request_id"] == "req-1"
        assert line["occurred_at"] == "2026-01-02T03:04:05.678901Z"
    updated, status_changed = logs[1], logs[2]
    assert updated["changed_fields"] == ["status"]
    assert (status_changed["from_status"], status_changed["to_status"]) == ("new", "completed")
    assert "changed_fields" not in logs[0]
    assert "from_status" not in logs[3]
