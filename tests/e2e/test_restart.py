"""The real `taskservice` process keeps tasks across a restart on its default SQLite file.

(The throw-away stores are checked in-process, in tests/http/test_stores.py: a process start costs
seconds here.)"""

import contextlib
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory

from taskservice.adapters.sql.migrations import alembic_config
from tests.process import Service, running

pytestmark = pytest.mark.e2e

ENVIRONMENT = {"HOST": "127.0.0.1", "APP_ENV": "test", "PYTHONUNBUFFERED": "1"}  # else the defaults


def everything(server: Service) -> dict[str, Any]:
    response = httpx.get(
        server.url("/v1/tasks?order_by=created_at&order_dir=asc&limit=500"), timeout=10, headers=server.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def post(server: Service, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url("/v1/tasks"), json=body, timeout=10, headers=server.headers)


def test_tasks_written_before_a_restart_are_read_back_after_it(tmp_path: Path) -> None:
    with running(tmp_path, ENVIRONMENT) as first:
        ids = [post(first, {"title": f"task {n}", "priority": n + 1}).json()["id"] for n in range(3)]
        patched = httpx.patch(
            first.url(f"/v1/tasks/{ids[0]}"), json={"status": "completed"}, timeout=10, headers=first.headers
        )
        assert patched.status_code == 200
        assert httpx.delete(first.url(f"/v1/tasks/{ids[2]}"), timeout=10, headers=first.headers).status_code == 204
        before = everything(first)
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it: either exit is a clean stop.
        assert first.stop() in (0, -signal.SIGTERM), first.log()
    # The embedded default: a SQLite file in the working directory, in WAL mode, migrated to head.
    database = tmp_path / "taskservice.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        [(revision,)] = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()

    with running(tmp_path, ENVIRONMENT) as second:
        assert everything(second) == before
        assert before["total"] == 2
        assert before["items"][0]["status"] == "completed"
        # The unique index came back too, and the deleted task's id is not handed out again.
        assert post(second, {"title": "TASK 1", "priority": 1}).status_code == 409
        assert post(second, {"title": "task 2", "priority": 1}).json()["id"] > ids[2]
        assert httpx.get(second.url("/readyz"), timeout=10).json()["status"] == "ready"
