"""REQUEST_TIMEOUT: past it the caller gets `504 timeout`, the write in progress is rolled back,
and the store serves the next request (its lock released, its connection back or replaced)."""

import asyncio
import sqlite3
from collections.abc import Collection
from typing import Any

import asyncpg  # pyright: ignore[reportMissingTypeStubs]
import pytest
from litestar.types import Receive, Scope, Send

from taskservice.adapters.memory import MemoryTaskRepository
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.domain.task import Task
from taskservice.http.middleware import RequestContextMiddleware
from tests.conftest import migrate_and_empty
from tests.fakes import store_with
from tests.http.conftest import Client, ClientFactory
from tests.http.envelope import assert_error
from tests.http.raw_asgi import drive


async def _never() -> None:
    await asyncio.Event().wait()


class _SlowAfterUpdate(MemoryTaskRepository):
    """Writes the change, then takes forever before the unit of work can commit."""

    async def update(self, task: Task, changed: Collection[str]) -> None:
        await super().update(task, changed)
        await _never()


async def _create(client: Client, title: str = "slow") -> dict[str, Any]:
    response = await client.post("/v1/tasks", json={"title": title, "priority": 1})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _assert_timeout(response: Any, seconds: float) -> None:
    error = assert_error(response, 504, "timeout")
    assert error["details"] == {"timeout_seconds": seconds}


async def test_a_request_past_the_timeout_gets_504_and_its_write_is_undone(client_for: ClientFactory) -> None:
    async with client_for(store=store_with(_SlowAfterUpdate), REQUEST_TIMEOUT="0.2") as client:
        task = await _create(client)
        response = await client.patch(
            f"/v1/tasks/{task['id']}", json={"title": "changed"}, headers={"X-Request-ID": "r1"}
        )
        _assert_timeout(response, 0.2)
        assert response.headers["x-request-id"] == "r1"
        assert (await client.get(f"/v1/tasks/{task['id']}")).json() == task
        # The store's write lock went with the cancelled unit of work: the next write goes through.
        await _create(client, "next")


async def test_the_timeout_and_its_envelope_apply_to_head_as_to_get(client_for: ClientFactory) -> None:
    class SlowRead(MemoryTaskRepository):
        async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:  # noqa: ARG002
            await _never()
            return None

    async with client_for(store=store_with(SlowRead), REQUEST_TIMEOUT="0.1") as client:
        _assert_timeout(await client.get("/v1/tasks/1"), 0.1)
        head = await client.head("/v1/tasks/1")
        assert head.status_code == 504
        assert head.content == b""


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
async def test_a_sql_write_cut_off_after_its_update_is_rolled_back(
    client_for: ClientFactory, store_kind: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_kind == "postgres":
        await migrate_and_empty(database_url)
    written = SqlTaskRepository.update

    async def update_then_stall(self: SqlTaskRepository, task: Task, changed: Collection[str]) -> None:
        await written(self, task, changed)
        await _never()

    # One connection on PostgreSQL: the next requests prove the cut-off one was given back or replaced.
    async with client_for(DATABASE_URL=database_url, REQUEST_TIMEOUT="1", DB_POOL_SIZE="1") as client:
        task = await _create(client)
        monkeypatch.setattr(SqlTaskRepository, "update", update_then_stall)
        _assert_timeout(await client.patch(f"/v1/tasks/{task['id']}", json={"title": "changed"}), 1.0)
        monkeypatch.undo()
        assert (await client.get(f"/v1/tasks/{task['id']}")).json() == task
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"title": "changed"})
        assert response.status_code == 200, response.text
        assert response.json()["version"] == task["version"] + 1


async def test_a_sqlite_write_waiting_for_another_process_lock_gets_504_and_writes_nothing(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(DATABASE_URL=sqlite_url, REQUEST_TIMEOUT="0.3") as client:
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's write transaction, held
            _assert_timeout(await client.post("/v1/tasks", json={"title": "waits", "priority": 1}), 0.3)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert (await client.get("/v1/tasks")).json()["total"] == 0
        await _create(client, "after")


@pytest.mark.postgres
async def test_a_postgres_patch_waiting_on_a_row_lock_gets_504_and_the_pool_serves_on(
    client_for: ClientFactory, postgres_url: str
) -> None:
    await migrate_and_empty(postgres_url)
    settings = {"REQUEST_TIMEOUT": "1", "DB_STATEMENT_TIMEOUT": "60", "DB_POOL_SIZE": "1"}
    async with client_for(DATABASE_URL=postgres_url, **settings) as client:
        task = await _create(client)
        other: Any = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))  # pyright: ignore[reportUnknownMemberType]
        try:
            holding = other.transaction()
            await holding.start()
            await other.execute("SELECT id FROM tasks WHERE id = $1 FOR UPDATE", task["id"])
            # The PATCH waits on its own FOR UPDATE, well within DB_STATEMENT_TIMEOUT.
            _assert_timeout(await client.patch(f"/v1/tasks/{task['id']}", json={"title": "changed"}), 1.0)
            await holding.rollback()
        finally:
            await other.close()
        # The PATCH did not apply once the lock was gone, and the pool's one connection serves on.
        assert (await client.get(f"/v1/tasks/{task['id']}")).json() == task
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"priority": 2})
        assert response.status_code == 200, response.text


async def _started_then_stalls(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})
    await _never()


async def _stalls(scope: Scope, receive: Receive, send: Send) -> None:
    await _never()


@pytest.mark.parametrize(("app", "status"), [(_stalls, 504), (_started_then_stalls, 200)])
async def test_the_access_line_records_the_status_sent_and_a_started_response_just_ends(app: Any, status: int) -> None:
    statuses: list[int] = []
    wrapped = RequestContextMiddleware(app, lambda _m, _p, sent, _s, _c: statuses.append(sent), request_timeout=0.05)
    sent: list[Any] = await drive(wrapped, "GET", "/slow", [], [])
    assert statuses == [status]
    assert sent[0]["status"] == status
    if status == 200:  # cut short: no 504 after it, and the body never finished
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        assert sent[-1]["more_body"] is True
    else:
        assert sent[-1]["more_body"] is False
        assert b'"code":"timeout"' in sent[-1]["body"]
