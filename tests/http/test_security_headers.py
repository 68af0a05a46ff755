"""Security headers on every response, errors and probes included; the /schema UI's files may be cached."""

import pytest
from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware

Client = AsyncTestClient[RequestContextMiddleware]

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
API = {**SECURITY, "cache-control": "no-store"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/tasks", 200),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/healthz", 405),
        ("GET", "/v1/tasks?limit=0", 422),
        ("GET", "/healthz", 200),
        ("GET", "/schema/openapi.json", 200),
        ("GET", "/schema", 200),
        ("HEAD", "/v1/tasks", 200),
        ("OPTIONS", "/v1/tasks", 204),
    ],
)
async def test_every_api_response_carries_the_headers_once(
    memory_client: Client, method: str, path: str, status: int
) -> None:
    response = await memory_client.request(method, path)
    assert response.status_code == status
    for name, value in API.items():
        assert response.headers.get_list(name) == [value], name


async def test_a_task_answer_carries_them_too(memory_client: Client) -> None:
    created = await memory_client.post("/v1/tasks", json={"title": "Headers everywhere", "priority": 1})
    assert created.status_code == 201
    fetched = await memory_client.get(created.headers["location"])
    for response in (created, fetched):
        for name, value in API.items():
            assert response.headers.get_list(name) == [value], name


async def test_the_schema_ui_files_are_not_marked_no_store(memory_client: Client) -> None:
    response = await memory_client.get("/schema/static/swagger-ui/swagger-ui.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], name


async def test_a_missing_schema_file_is_an_api_error_with_every_header(memory_client: Client) -> None:
    response = await memory_client.get("/schema/static/swagger-ui/no-such-file.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], name
