"""No log line is lost at shutdown: with several workers, SIGTERM to the `taskservice` process
leaves every worker's last lines on stdout (a worker may end without running `atexit`, so a
line waiting in a buffer would be gone)."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.process import MODULE, running

pytestmark = pytest.mark.e2e

WORKERS = 2


def records(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def pids(lines: list[dict[str, Any]], pattern: str) -> list[int]:
    return sorted(int(match[1]) for line in lines if (match := re.fullmatch(pattern, line["event"])))


@pytest.mark.parametrize("run", [1, 2, 3])
def test_sigterm_leaves_every_workers_last_lines_on_stdout(tmp_path: Path, run: int) -> None:
    environ = {
        "APP_ENV": "qa",
        "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
    }
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=WORKERS) as service:
        created = httpx.post(
            service.url("/v1/tasks"), json={"title": f"run {run}", "priority": 1}, timeout=10, headers=service.headers
        )
        assert created.status_code == 201
        assert service.stop() == 0

    lines = records(service.log())  # every line of stdout is JSON, or this raises
    workers = pids(lines, r"Started server process \[(\d+)\]")
    assert len(workers) == WORKERS
    # Each worker's lifespan shutdown (its event dispatcher) and then uvicorn's very last line.
    assert sum(line["event"] == "event_dispatcher_stopped" for line in lines) == WORKERS
    assert sum(line["event"] == "Application shutdown complete." for line in lines) == WORKERS
    assert pids(lines, r"Finished server process \[(\d+)\]") == workers
    # The create's access line and its event line, from whichever worker served it.
    access = [line for line in lines if line["logger"] == "taskservice.access"]
    assert [line["status"] for line in access if line["method"] == "POST"] == [201]
    assert [line["event"] for line in lines if line["logger"] == "taskservice.events"] == ["TaskCreated"]
