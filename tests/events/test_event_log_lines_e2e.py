"""The real process in prod mode prints one JSON event line per event, each with its request's id."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT = 30.0


def lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`taskservice` with APP_ENV=prod on a free port (PORT=0), run in an empty directory."""
    log = tmp_path / "out.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL", "PORT")}
    env.update(APP_ENV="prod", PORT="0", SHUTDOWN_TIMEOUT="5")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "taskservice"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while (found := re.search(r"Uvicorn running on (http://\S+)", log.read_text())) is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"not serving after {STARTUP_TIMEOUT} s:\n{log.read_text()}"
            time.sleep(0.05)
        yield found.group(1), log, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_create_complete_and_delete_print_their_event_lines_with_the_request_ids(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base_url, log, process = served
    with httpx.Client(base_url=base_url, timeout=10) as client:
        created = client.post("/v1/tasks", json={"title": "Ship events", "priority": 3}, headers={"X-Request-ID": "c1"})
        task_id = created.json()["id"]
        client.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}, headers={"X-Request-ID": "p1"})
        client.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}, headers={"X-Request-ID": "noop"})
        client.delete(f"/v1/tasks/{task_id}", headers={"X-Request-ID": "d1"})
    process.send_signal(signal.SIGTERM)  # the shutdown drains whatever is still queued
    # Uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)

    events = [line for line in lines(log) if line.get("logger") == "taskservice.events"]
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
    [summary] = [line for line in lines(log) if line["event"] == "event_dispatcher_stopped"]
    assert (summary["delivered"], summary["failed"], summary["dropped"]) == (5, 0, 0)
