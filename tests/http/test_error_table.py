"""Every row of the contract's error table, as a caller meets it. Field-level 422s, 404 task_not_found
and 409 are covered with their endpoints (test_create, test_item, test_list); this module covers the
rows that do not belong to one endpoint, and checks the envelope on each."""

from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from taskservice.domain.errors import StorageUnavailable
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_app
from tests.conftest import make_settings
from tests.fakes import BrokenStore
from tests.http.conftest import ClientFactory
from tests.http.envelope import UUID4, assert_error, field_errors
from tests.http.raw_asgi import drive

Client = AsyncTestClient[RequestContextMiddleware]
LEAKY_DSN = "postgresql://admin:hunter2@db.internal/tasks"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v1"),
        ("GET", "/v2/tasks"),
        ("GET", "/tasks"),
        ("GET", "/v1/tasks/1/comments"),
        ("POST", "/v1/task"),
        ("DELETE", "/nope"),
        ("GET", "/V1/TASKS"),
    ],
)
async def test_an_unknown_route_is_404_not_found(memory_client: Client, method: str, path: str) -> None:
    response = await memory_client.request(method, path)
    assert assert_error(response, 404, "not_found")["details"] == {}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/tasks", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("PUT", "/v1/tasks", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("PATCH", "/v1/tasks", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("POST", "/v1/tasks/1", {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
        ("POST", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/readyz", {"GET", "HEAD", "OPTIONS"}),
    ],
)
async def test_a_wrong_method_is_405_method_not_allowed_with_allow(
    memory_client: Client, method: str, path: str, allow: set[str]
) -> None:
    response = await memory_client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/tasks"), ("PUT", "/v1/tasks/1"), ("PATCH", "/v1/tasks/1")])
async def test_a_body_over_max_body_bytes_is_413_and_one_at_the_limit_is_read(
    client_for: ClientFactory, method: str, path: str
) -> None:
    async with client_for(MAX_BODY_BYTES="1024") as client:
        await client.post("/v1/tasks", json={"title": "exists", "priority": 1})
        prefix, suffix = b'{"title": "t", "priority": 2, "description": "', b'"}'
        at_limit = prefix + b"x" * (1024 - len(prefix) - len(suffix)) + suffix
        headers = {"content-type": "application/json"}
        accepted = await client.request(method, path, content=at_limit, headers=headers)
        assert accepted.status_code in (200, 201), accepted.text
        too_large = await client.request(method, path, content=at_limit + b" ", headers=headers)
        assert assert_error(too_large, 413, "payload_too_large")["details"] == {}
        assert (await client.get("/v1/tasks")).json()["total"] == (2 if method == "POST" else 1)


async def send_chunked(chunks: list[bytes], *, max_body_bytes: int) -> tuple[int, dict[str, str], bytes]:
    """Drive the ASGI app directly: a body in several parts and no Content-Length, as a chunked upload arrives."""
    app, key = admin_app(make_settings(DATABASE_URL="memory://", MAX_BODY_BYTES=str(max_body_bytes)))
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1} for n, chunk in enumerate(chunks)
    ]
    headers = [
        (b"content-type", b"application/json"),
        (b"transfer-encoding", b"chunked"),
        (b"authorization", f"Bearer {key}".encode()),
    ]
    async with AsyncTestClient(app=app):  # started: the key is stored
        sent = await drive(app, "POST", "/v1/tasks", incoming, headers)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


async def test_a_chunked_body_without_content_length_is_413_once_it_passes_the_limit() -> None:
    chunks = [b'{"title": "t", "priority": 1, "description": "', *([b"x" * 300] * 4), b'"}']
    status, headers, body = await send_chunked(chunks, max_body_bytes=1024)
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    error = msgspec.json.decode(body)["error"]
    assert (error["code"], error["request_id"]) == ("payload_too_large", headers["x-request-id"])
    status, _, _ = await send_chunked(chunks[:3] + chunks[-1:], max_body_bytes=1024)
    assert status == 201


async def test_the_default_body_limit_is_64_kib(memory_client: Client) -> None:
    body = b'{"title": "t", "priority": 1, "description": "' + b"x" * (64 * 1024) + b'"}'
    response = await memory_client.post("/v1/tasks", content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        "json",
        "",
    ],
)
async def test_a_body_declared_as_anything_but_json_is_415(memory_client: Client, content_type: str) -> None:
    await memory_client.post("/v1/tasks", json={"title": "exists", "priority": 1})
    before = (await memory_client.get("/v1/tasks")).json()
    for method, path in (("POST", "/v1/tasks"), ("PUT", "/v1/tasks/1"), ("PATCH", "/v1/tasks/1")):
        response = await memory_client.request(
            method, path, content=b'{"title": "t", "priority": 2}', headers={"content-type": content_type}
        )
        assert assert_error(response, 415, "unsupported_media_type")["details"] == {"content_type": content_type}
    assert (await memory_client.get("/v1/tasks")).json() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/tasks"),
        ("GET", "/v1/tasks/1"),
        ("PUT", "/v1/tasks/1"),
        ("PATCH", "/v1/tasks/1"),
        ("DELETE", "/v1/tasks/1"),
    ],
)
async def test_a_query_parameter_on_a_route_that_takes_none_is_422_and_nothing_happens(
    memory_client: Client, method: str, path: str
) -> None:
    await memory_client.post("/v1/tasks", json={"title": "exists", "priority": 1})
    before = (await memory_client.get("/v1/tasks")).json()
    response = await memory_client.request(method, f"{path}?dry_run=true", json={"title": "t", "priority": 2})
    assert field_errors(response) == [("query", "dry_run")]
    assert (await memory_client.get("/v1/tasks")).json() == before


async def test_checks_run_in_the_documented_order(client_for: ClientFactory) -> None:
    async with client_for(MAX_BODY_BYTES="1024") as client:
        await client.post("/v1/tasks", json={"title": "taken", "priority": 1})
        big = b"{" + b" " * 2000 + b"}"
        # path before query, query before body
        assert field_errors(await client.put("/v1/tasks/x?q=1", content=b"nope")) == [("path", "task_id")]
        assert field_errors(await client.put("/v1/tasks/1?q=1", content=b"nope")) == [("query", "q")]
        # media type before size, size before shape
        response = await client.put("/v1/tasks/1", content=big, headers={"content-type": "text/plain"})
        assert_error(response, 415, "unsupported_media_type")
        assert_error(await client.put("/v1/tasks/1", content=big + b"!"), 413, "payload_too_large")
        # body shape before existence; empty_update before existence; existence before uniqueness
        assert field_errors(await client.put("/v1/tasks/99", json={"title": "t"})) == [("body", "priority")]
        assert_error(await client.patch("/v1/tasks/99", json={}), 422, "empty_update")
        assert_error(await client.patch("/v1/tasks/99", json={"title": "taken"}), 404, "task_not_found")


async def test_validation_errors_list_source_field_and_message(memory_client: Client) -> None:
    response = await memory_client.post("/v1/tasks", json={"title": "t", "priority": 9})
    [item] = assert_error(response, 422, "validation_error")["details"]["errors"]
    assert item["source"] == "body"
    assert item["field"] == "priority"
    assert "5" in item["message"]


async def test_empty_update_has_its_own_code(memory_client: Client) -> None:
    await memory_client.post("/v1/tasks", json={"title": "t", "priority": 1})
    assert assert_error(await memory_client.patch("/v1/tasks/1", json={}), 422, "empty_update")["details"] == {}


@pytest.mark.parametrize("app_env", ["test", "qa", "prod"])
async def test_an_unexpected_error_is_500_internal_error_and_leaks_nothing_outside_dev(
    client_for: ClientFactory, app_env: str
) -> None:
    async with client_for(store=BrokenStore(RuntimeError(LEAKY_DSN)), APP_ENV=app_env) as client:
        for response in (
            await client.get("/v1/tasks"),
            await client.post("/v1/tasks", json={"title": "t", "priority": 1}),
        ):
            error = assert_error(response, 500, "internal_error")
            assert error["details"] == {}
            assert "hunter2" not in response.text
            assert "RuntimeError" not in response.text
            assert "Traceback" not in response.text


async def test_in_dev_a_500_names_its_cause(client_for: ClientFactory) -> None:
    async with client_for(store=BrokenStore(RuntimeError("disk on fire")), APP_ENV="dev") as client:
        error = assert_error(await client.get("/v1/tasks/1"), 500, "internal_error")
        assert error["details"] == {"cause": "RuntimeError: disk on fire"}


@pytest.mark.parametrize("error", [StorageUnavailable("OperationalError")])
async def test_an_unavailable_store_is_503_service_unavailable_with_retry_after(
    client_for: ClientFactory, error: Exception
) -> None:
    async with client_for(store=BrokenStore(error), APP_ENV="prod") as client:
        response = await client.patch("/v1/tasks/1", json={"priority": 1})
        assert_error(response, 503, "service_unavailable")
        assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize(("app_env", "details"), [("dev", {"cause": "ConnectionRefusedError: refused"}), ("prod", {})])
async def test_a_503_names_its_underlying_cause_in_dev_only(
    client_for: ClientFactory, app_env: str, details: dict[str, str]
) -> None:
    error = StorageUnavailable("OperationalError")
    error.__cause__ = ConnectionRefusedError("refused")
    async with client_for(store=BrokenStore(error), APP_ENV=app_env) as client:
        assert assert_error(await client.get("/v1/tasks"), 503, "service_unavailable")["details"] == details


async def test_every_error_response_carries_a_generated_request_id(memory_client: Client) -> None:
    for response in (
        await memory_client.get("/nope"),
        await memory_client.delete("/v1/tasks"),
        await memory_client.get("/v1/tasks/0"),
        await memory_client.get("/v1/tasks/1"),
        await memory_client.post("/v1/tasks", content=b"x", headers={"content-type": "text/plain"}),
    ):
        assert UUID4.fullmatch(
            assert_error(response, response.status_code, response.json()["error"]["code"])["request_id"]
        )


@pytest.mark.parametrize("path", ["/v1/tasks", "/v1/tasks/1"])
async def test_a_validation_error_lists_at_most_50_errors_and_counts_them_all(memory_client: Client, path: str) -> None:
    await memory_client.post("/v1/tasks", json={"title": "exists", "priority": 1})
    query = "&".join(f"p{n}=1" for n in range(8000))
    response = await memory_client.get(f"{path}?{query}")
    details = assert_error(response, 422, "validation_error")["details"]
    assert len(details["errors"]) == 50
    assert {e["source"] for e in details["errors"]} == {"query"}
    assert (details["truncated"], details["error_count"]) == (True, 8000)
    assert len(response.content) < 10_000


@pytest.mark.parametrize(("count", "truncated"), [(50, False), (51, True)])
async def test_the_error_list_is_cut_only_past_50(memory_client: Client, count: int, truncated: bool) -> None:
    query = "&".join(f"p{n}=1" for n in range(count))
    details = assert_error(await memory_client.get(f"/v1/tasks?{query}"), 422, "validation_error")["details"]
    assert len(details["errors"]) == min(count, 50)
    assert ("truncated" in details, details.get("error_count")) == (truncated, count if truncated else None)
