"""Events as the real app publishes them: through HTTP, the dispatcher, and the app's lifespan."""

import asyncio
import threading

import pytest
from litestar.testing import AsyncTestClient
from structlog.testing import capture_logs
from structlog.typing import EventDict

from taskservice.adapters.dispatcher import Listener
from taskservice.domain.events import TaskEvent, TaskStatusChanged, TaskUpdated
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.events.fakes import Gate, HangingListener, RecordingListener, raising_listener


@pytest.fixture(params=["memory", "sqlite"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return "memory://" if request.param == "memory" else sqlite_url


def app_with(database_url: str, *listeners: Listener) -> AsyncTestClient[RequestContextMiddleware]:
    """A client (as an admin) of the app with these listeners."""
    # A short drain bound, so that a failing test cannot hang for long in shutdown.
    return admin_client(make_settings(DATABASE_URL=database_url, SHUTDOWN_TIMEOUT="3"), listeners=listeners)


def rid(request_id: str) -> dict[str, str]:
    return {"X-Request-ID": request_id}


def summary(events: list[TaskEvent]) -> list[tuple[str, str | None, int]]:
    return [(type(e).__name__, e.request_id, e.task.id) for e in events]


async def test_create_complete_and_delete_publish_their_events_with_each_request_id(database_url: str) -> None:
    recorder = RecordingListener()

    async with app_with(database_url, recorder) as client:
        created = await client.post("/v1/tasks", json={"title": "Ship it", "priority": 3}, headers=rid("req-create"))
        task_id = created.json()["id"]
        completed = await client.patch(f"/v1/tasks/{task_id}", json={"status": "completed"}, headers=rid("req-done"))
        deleted = await client.delete(f"/v1/tasks/{task_id}", headers=rid("req-delete"))
    # Leaving the client ran the shutdown, which delivers everything queued: the list is final.

    assert (created.status_code, completed.status_code, deleted.status_code) == (201, 200, 204)
    assert summary(recorder.events) == [
        ("TaskCreated", "req-create", task_id),
        ("TaskUpdated", "req-done", task_id),
        ("TaskStatusChanged", "req-done", task_id),
        ("TaskCompleted", "req-done", task_id),
        ("TaskDeleted", "req-delete", task_id),
    ]
    updated, status_changed = recorder.events[1], recorder.events[2]
    assert isinstance(updated, TaskUpdated)
    assert updated.changed_fields == ("status",)
    assert (updated.previous.status, updated.task.status) == ("new", "completed")
    assert updated.task.version == completed.json()["version"]
    assert isinstance(status_changed, TaskStatusChanged)
    assert (status_changed.from_status, status_changed.to_status) == ("new", "completed")
    assert recorder.events[-1].task.status == "completed"  # the snapshot as it was deleted


async def test_refused_failed_and_no_op_requests_publish_nothing(database_url: str) -> None:
    recorder = RecordingListener()

    async with app_with(database_url, recorder) as client:
        created = await client.post("/v1/tasks", json={"title": "Ship it", "priority": 3}, headers=rid("req-create"))
        task = created.json()
        url = f"/v1/tasks/{task['id']}"
        responses = [
            await client.post("/v1/tasks", json={"title": " SHIP IT ", "priority": 1}),
            await client.patch(url, json={"title": "Ship it", "priority": 3}),
            await client.put(url, json={"title": "Ship it", "priority": 3}),
            await client.patch(url, json={}),
            await client.patch(url, json={"priority": 9}),
            await client.patch("/v1/tasks/999", json={"priority": 1}),
            await client.delete("/v1/tasks/999"),
        ]
        unchanged = await client.get(url)

    assert [r.status_code for r in responses] == [409, 200, 200, 422, 422, 404, 404]
    assert unchanged.json() == task
    assert summary(recorder.events) == [("TaskCreated", "req-create", task["id"])]


async def test_a_raising_and_a_hanging_listener_leave_requests_and_other_listeners_unaffected() -> None:
    hanging, recorder = HangingListener(), RecordingListener()
    serving = app_with("memory://", raising_listener, hanging, recorder)
    logs: list[EventDict] = []

    try:
        with capture_logs() as logs:
            async with serving as client:
                created = await asyncio.wait_for(client.post("/v1/tasks", json={"title": "A", "priority": 1}), 10)
                assert created.status_code == 201
                await recorder.wait_for(1)
                await hanging.wait_until(calls=1)
                # The response came back, and the other listener got the event, while the hanging one
                # is still stuck in its first call: nothing waited for it.
                assert (hanging.finished, hanging.cancelled) == (0, 0)

                patched = await asyncio.wait_for(
                    client.patch(f"/v1/tasks/{created.json()['id']}", json={"status": "completed"}), 10
                )
                assert patched.status_code == 200
                await recorder.wait_for(4)
                assert (hanging.finished, hanging.cancelled) == (0, 0)
                hanging.gate.open()
    finally:
        hanging.gate.open()

    failures = [line for line in logs if line["event"] == "event_listener_failed"]
    assert [(f["event_type"], f["event_id"]) for f in failures] == [
        (type(e).__name__, str(e.event_id)) for e in recorder.events
    ]
    assert hanging.finished == 4  # released before shutdown: delivered, late but in order


async def test_shutdown_delivers_the_events_still_queued() -> None:
    gate = Gate()
    delivered: list[TaskEvent] = []

    async def slow(event: TaskEvent) -> None:
        await gate.wait()
        delivered.append(event)

    # The client runs the app on its own loop and blocks this one while it shuts down, so the
    # gate is opened from a timer thread: only once shutdown has begun, the drain must wait for it.
    opener = threading.Timer(0.2, gate.open)
    try:
        async with app_with("memory://", slow) as client:
            for n in range(3):
                response = await client.post("/v1/tasks", json={"title": f"Task {n}", "priority": 1})
                assert response.status_code == 201
            assert delivered == []
            opener.start()
    finally:
        opener.cancel()
        gate.open()
        opener.join(timeout=5)

    assert [e.task.title for e in delivered] == ["Task 0", "Task 1", "Task 2"]
