"""Every acknowledged write survives SIGTERM and a restart, on PostgreSQL and on the SQLite file."""

import asyncio
import signal
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.process import MODULE, running

pytestmark = pytest.mark.e2e

WRITERS = 40


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Generator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
        return
    request.applymarker(pytest.mark.postgres)
    with fresh_postgres_database() as url:
        yield url


async def write_until_refused(http: httpx.AsyncClient, index: int) -> dict[str, Any] | None:
    """Create one task, then change and re-read it; the last state the service acknowledged."""
    try:
        created = await http.post("/v1/tasks", json={"title": f"durable {index}", "priority": 1 + index % 5})
        if created.status_code != 201:
            return None
        acknowledged: dict[str, Any] = created.json()
        patched = await http.patch(f"/v1/tasks/{acknowledged['id']}", json={"status": "in_progress"})
        if patched.status_code == 200:
            acknowledged = patched.json()
    except httpx.TransportError:
        return None  # the server went away before answering: not acknowledged
    return acknowledged


async def test_acknowledged_writes_survive_sigterm_during_writes_and_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    environ = {
        "APP_ENV": "test",
        "LOG_LEVEL": "INFO",
        "HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
        "SHUTDOWN_TIMEOUT": "5",
    }
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=1) as service:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30, headers=service.headers) as http:
            deleted = (await http.post("/v1/tasks", json={"title": "to delete", "priority": 1})).json()
            assert (await http.delete(f"/v1/tasks/{deleted['id']}")).status_code == 204
            writes = [asyncio.ensure_future(write_until_refused(http, i)) for i in range(WRITERS)]
            await asyncio.wait(writes, return_when=asyncio.FIRST_COMPLETED)
            exit_code = await asyncio.to_thread(service.stop)
            acknowledged = [task for task in await asyncio.gather(*writes) if task is not None]

        # uvicorn re-raises the SIGTERM it handled once shutdown is complete.
        assert exit_code in (0, -signal.SIGTERM), service.log()
        assert "Application shutdown complete" in service.log()
        assert acknowledged, "no write was acknowledged before SIGTERM"

        service.start()  # the restart
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30, headers=service.headers) as http:
            stored = {task["id"]: task for task in (await http.get("/v1/tasks", params={"limit": 500})).json()["items"]}
            assert (await http.get(f"/v1/tasks/{deleted['id']}")).status_code == 404

    for task in acknowledged:
        assert task["id"] in stored, f"acknowledged task {task['id']} was lost"
        # A PATCH that was in flight at SIGTERM may have committed without being acknowledged.
        assert stored[task["id"]] == task or task["status"] == "new", (task, stored[task["id"]])
