"""Requests cut short by the service, answered with the envelope: a request the server cancels at
the end of a graceful stop gets a retryable `503`, and a body that does not arrive within
BODY_TIMEOUT gets `408 request_timeout`; neither changes anything."""

import asyncio
import json
from collections.abc import Collection
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Message

from taskservice.adapters.memory import MemoryStore, MemoryTaskRepository
from taskservice.domain.task import Task
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_app, bearer
from tests.conftest import make_settings
from tests.fakes import store_with
from tests.http.raw_asgi import http_scope

BODY = json.dumps({"title": "never stored", "priority": 1}).encode()


# The app behind each client of running_app (the test client's own attribute is untyped).
APPS: dict[int, ASGIApp] = {}


class Exchange:
    """One request driven by hand: `incoming` is what the client sends, then it goes silent."""

    def __init__(
        self, client: AsyncTestClient[RequestContextMiddleware], method: str, path: str, incoming: list[dict[str, Any]]
    ) -> None:
        self.sent: list[dict[str, Any]] = []
        app = APPS[id(client)]
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
            (b"authorization", client.headers["authorization"].encode()),  # the client's admin key
        ]
        scope = http_scope(method, path, [*headers, (b"x-request-id", b"cut-1")])

        async def receive() -> dict[str, Any]:
            if incoming:
                return incoming.pop(0)
            await asyncio.Event().wait()  # the rest of the body never comes
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            self.sent.append(dict(message))

        async def call() -> None:
            await app(scope, receive, send)  # pyright: ignore[reportArgumentType]

        self.task = asyncio.create_task(call())

    def response(self) -> tuple[int, dict[bytes, bytes], dict[str, Any]]:
        start, body = self.sent
        assert start["type"] == "http.response.start"
        return start["status"], dict(start["headers"]), json.loads(body["body"])


def half_a_body() -> list[dict[str, Any]]:
    return [{"type": "http.request", "body": BODY[:10], "more_body": True}]


async def running_app(store: MemoryStore, **environ: str) -> AsyncTestClient[RequestContextMiddleware]:
    app, key = admin_app(make_settings(DATABASE_URL="memory://", **environ), store=store)
    client = AsyncTestClient(app=app)
    client.headers.update(bearer(key))
    APPS[id(client)] = app
    await client.__aenter__()  # runs the lifespan
    return client


class _SlowUpdate(MemoryTaskRepository):
    """Writes the change, then never gets to commit it."""

    async def update(self, task: Task, changed: Collection[str]) -> None:
        await super().update(task, changed)
        await asyncio.Event().wait()


@pytest.mark.parametrize("case", ["waiting for its body", "slow handler"])
async def test_a_request_cancelled_at_the_end_of_a_stop_gets_a_retryable_503_and_changes_nothing(case: str) -> None:
    store = store_with(_SlowUpdate)
    client = await running_app(store)
    try:
        created = (await client.post("/v1/tasks", json={"title": "kept", "priority": 1})).json()
        if case == "waiting for its body":
            exchange = Exchange(client, "POST", "/v1/tasks", half_a_body())
        else:
            patch = json.dumps({"title": "changed"}).encode().ljust(len(BODY))  # the header's length
            exchange = Exchange(
                client, "PATCH", f"/v1/tasks/{created['id']}", [{"type": "http.request", "body": patch}]
            )
        await asyncio.sleep(0.05)
        assert not exchange.task.done()

        exchange.task.cancel()  # what uvicorn does to requests still running at SHUTDOWN_TIMEOUT
        await exchange.task  # answered and ended; the cancellation does not escape

        status, headers, body = exchange.response()
        assert status == 503
        assert headers[b"retry-after"] == b"1"
        assert headers[b"connection"] == b"close"
        assert headers[b"content-type"] == b"application/json"
        assert body["error"]["code"] == "service_unavailable"
        assert body["error"]["request_id"] == headers[b"x-request-id"].decode() == "cut-1"
        listed = (await client.get("/v1/tasks")).json()
        assert [task["title"] for task in listed["items"]] == ["kept"]
    finally:
        await client.__aexit__(None, None, None)


async def test_a_body_that_stops_short_of_its_length_gets_408_within_body_timeout_and_changes_nothing() -> None:
    client = await running_app(MemoryStore(), BODY_TIMEOUT="0.2", REQUEST_TIMEOUT="30")
    try:
        exchange = Exchange(client, "POST", "/v1/tasks", half_a_body())
        await asyncio.wait_for(exchange.task, timeout=10)  # bounded well below REQUEST_TIMEOUT

        status, headers, body = exchange.response()
        assert status == 408
        assert headers[b"connection"] == b"close"  # the rest of the body is not waited for
        assert body["error"]["code"] == "request_timeout"
        assert body["error"]["details"] == {"timeout_seconds": 0.2}
        assert (await client.get("/v1/tasks")).json()["total"] == 0
    finally:
        await client.__aexit__(None, None, None)


async def test_a_body_that_arrives_in_time_in_parts_is_served() -> None:
    client = await running_app(MemoryStore(), BODY_TIMEOUT="5")
    try:
        parts = [
            {"type": "http.request", "body": BODY[:10], "more_body": True},
            {"type": "http.request", "body": BODY[10:], "more_body": False},
        ]
        exchange = Exchange(client, "POST", "/v1/tasks", parts)
        await asyncio.wait_for(exchange.task, timeout=10)
        status, _, body = exchange.response()
        assert status == 201
        assert body["title"] == "never stored"
    finally:
        await client.__aexit__(None, None, None)
