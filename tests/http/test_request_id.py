"""X-Request-ID: echoed when sane, generated otherwise; on every response and in every error body."""

import uuid
from typing import Any, cast

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from litestar.types import Message

from taskservice.http.middleware import RequestContextMiddleware
from taskservice.http.request_id import new_request_id
from tests.http.envelope import UUID4, assert_error
from tests.http.raw_asgi import drive

Client = AsyncTestClient[RequestContextMiddleware]


@pytest.mark.parametrize(
    "offered", ["abc", "A", "req-1.2_3:4", "0" * 128, "3f0c0e1e-2b7c-4e55-9d1a-0a1b2c3d4e5f", "a.b-c_d:e"]
)
async def test_a_sane_request_id_is_echoed_on_success_and_on_errors(memory_client: Client, offered: str) -> None:
    ok = await memory_client.get("/v1/tasks", headers={"x-request-id": offered})
    assert (ok.status_code, ok.headers["x-request-id"]) == (200, offered)
    failed = await memory_client.get("/v1/tasks/1", headers={"x-request-id": offered})
    assert assert_error(failed, 404, "task_not_found")["request_id"] == offered


@pytest.mark.parametrize(
    "offered", ["", "a" * 129, "has space", "slash/ed", 'quote"d', "emoji🚀", "semi;colon", "tab\tbed", "ñ", "a,b"]
)
async def test_an_insane_request_id_is_replaced_by_a_new_uuid4(memory_client: Client, offered: str) -> None:
    response = await memory_client.get("/v1/tasks/1", headers=[(b"x-request-id", offered.encode())])
    generated = response.headers["x-request-id"]
    assert UUID4.fullmatch(generated)
    assert assert_error(response, 404, "task_not_found")["request_id"] == generated


async def test_each_request_without_an_id_gets_its_own(memory_client: Client) -> None:
    ids = {(await memory_client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(UUID4.fullmatch(i) for i in ids)


async def test_every_kind_of_response_carries_exactly_one_request_id(memory_client: Client) -> None:
    created = await memory_client.post("/v1/tasks", json={"title": "t", "priority": 1}, headers={"x-request-id": "r1"})
    responses = [
        created,
        await memory_client.delete("/v1/tasks/1", headers={"x-request-id": "r2"}),
        await memory_client.get("/nowhere", headers={"x-request-id": "r3"}),
        await memory_client.put("/healthz", headers={"x-request-id": "r4"}),
        await memory_client.get("/schema/openapi.json", headers={"x-request-id": "r5"}),
        await memory_client.get("/readyz", headers={"x-request-id": "r6"}),
    ]
    assert [r.status_code for r in responses] == [201, 204, 404, 405, 200, 200]
    for n, response in enumerate(responses, start=1):
        assert response.headers.get_list("x-request-id") == [f"r{n}"]


def test_generated_ids_are_canonical_uuid4_text_and_distinct() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text


def _start_and_body(sent: list[Message]) -> tuple[dict[str, Any], bytes]:
    """The response-start message and the one body; fails if more or fewer messages were sent."""
    start, body = (cast("dict[str, Any]", message) for message in sent)
    return start, cast("bytes", body["body"])


async def _html_not_found(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<h1>Not Found</h1>", "more_body": False})


async def test_an_error_answered_without_the_envelope_is_replaced_by_one() -> None:
    lines: list[tuple[str, str, int]] = []

    def access_log(method: str, path: str, status: int, *_: object) -> None:
        lines.append((method, path, status))

    app = RequestContextMiddleware(_html_not_found, access_log)

    sent = await drive(app, "GET", "/schema/nowhere", [], [(b"x-request-id", b"caller-1")])

    start, body = _start_and_body(sent)  # the HTML body is not sent after the envelope
    assert start["status"] == 404
    assert dict(start["headers"])[b"content-type"] == b"application/json"
    assert [v for k, v in start["headers"] if k == b"x-request-id"] == [b"caller-1"]
    envelope = msgspec.json.decode(body)
    assert envelope["error"]["code"] == "not_found"
    assert envelope["error"]["request_id"] == "caller-1"
    assert int(dict(start["headers"])[b"content-length"]) == len(body)
    assert lines == [("GET", "/schema/nowhere", 404)]


async def test_an_exception_before_any_response_still_gets_a_500_envelope() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("outside the app's own handlers")

    lines: list[int] = []

    def access_log(_method: str, _path: str, status: int, *_: object) -> None:
        lines.append(status)

    app = RequestContextMiddleware(broken, access_log)

    sent = await drive(app, "GET", "/anything", [], [])

    start, body = _start_and_body(sent)
    assert start["status"] == 500
    assert msgspec.json.decode(body)["error"]["code"] == "internal_error"
    assert lines == [500]
