"""The real process in prod mode prints one JSON event line per event, each with its request's id."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.process import Service, executable, running

pytestmark = pytest.mark.e2e


def json_lines(server: Service) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log().splitlines() if line.strip()]


def test_create_complete_and_delete_print_their_event_lines_with_the_request_ids(tmp_path: Path) -> None:
    environ = {"APP_ENV": "prod", "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes", "SHUTDOWN_TIMEOUT": "5"}
    with running(tmp_path, environ, argv=[executable("taskservice")]) as server:
        with httpx.Client(base_url=server.base_url, timeout=10, headers=server.headers) as client:
            created = client.post("/v1/tasks", json={"title": "Ship it", "priority": 3}, headers={"X-Request-ID": "c1"})
            task_id = created.json()["id"]
            client.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}, headers={"X-Request-ID": "p1"})
            client.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}, headers={"X-Request-ID": "noop"})
            client.post("/v1/tasks", json={"title": "SHIP IT", "priority": 1}, headers={"X-Request-ID": "dup"})
            client.delete(f"/v1/tasks/{task_id}", headers={"X-Request-ID": "d1"})
        assert server.stop() == 0  # SIGTERM: the shutdown drains whatever is still queued
        lines = json_lines(server)

    events = [line for line in lines if line["logger"] == "taskservice.events"]
    assert [(e["event"], e["request_id"], e["task_id"]) for e in events] == [
        ("TaskCreated", "c1", task_id),
        ("TaskUpdated", "p1", task_id),
        ("TaskStatusChanged", "p1", task_id),
        ("TaskCompleted", "p1", task_id),
        ("TaskDeleted", "d1", task_id),
    ]
    assert events[1]["changed_fields"] == ["status"]
    assert (events[2]["from_status"], events[2]["to_status"]) == ("new", "completed")
    assert len({e["event_id"] for e in events}) == 5
    [summary] = [line for line in lines if line["event"] == "event_dispatcher_stopped"]
    assert (summary["delivered"], summary["failed"], summary["dropped"]) == (5, 0, 0)
