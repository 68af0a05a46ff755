"""HEAD is answered wherever GET is: the GET's status and headers, no body; and `Allow` lists HEAD
wherever it lists GET."""

import pytest
from litestar.testing import AsyncTestClient
from structlog.testing import capture_logs

from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.http.envelope import assert_error

Client = AsyncTestClient[RequestContextMiddleware]

GET_ROUTES = [
    "/v1/tasks/1",
    "/v1/tasks",
    "/v1/tasks?status=new&limit=1",
    "/healthz",
    "/schema",
    "/schema/openapi.json",
    "/schema/swagger",
    "/schema/redoc",
]
GET_ERRORS = [
    ("/v1/tasks/9", 404),  # task_not_found
    ("/v1/tasks/+1", 422),
    ("/v1/tasks/1?dry_run=1", 422),
    ("/v1/tasks?limit=0", 422),
    ("/nope", 404),
    ("/schema/nope", 404),  # Litestar's HTML 404, replaced by the envelope
]


@pytest.fixture
async def seeded_client(memory_client: Client) -> Client:
    created = await memory_client.post("/v1/tasks", json={"title": "Seen by HEAD", "priority": 3})
    assert created.headers["location"] == "/v1/tasks/1"
    return memory_client


async def get_and_head(client: Client, path: str) -> tuple[dict[str, str], dict[str, str], int]:
    """The headers of GET and of HEAD on `path` (sent with the same request id), and the status of both."""
    sent = {"x-request-id": "head-check"}
    got = await client.get(path, headers=sent)
    head = await client.head(path, headers=sent)
    assert head.status_code == got.status_code
    assert head.content == b""
    assert got.content  # the GET has a body, whose length the HEAD announces
    assert int(got.headers["content-length"]) == len(got.content)
    return dict(got.headers), dict(head.headers), got.status_code


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_head_has_the_status_and_headers_of_get_and_no_body(seeded_client: Client, path: str) -> None:
    got, head, status = await get_and_head(seeded_client, path)
    assert status == 200
    assert head == got


@pytest.mark.parametrize(("path", "status"), GET_ERRORS)
async def test_head_of_an_error_has_the_envelope_headers_and_no_body(
    seeded_client: Client, path: str, status: int
) -> None:
    got, head, got_status = await get_and_head(seeded_client, path)
    assert got_status == status
    assert head == got
    assert head["content-type"] == "application/json"


async def test_head_readyz_is_answered_like_get(seeded_client: Client) -> None:
    """Its body reports a latency, so the length may differ by a digit between two calls."""
    got, head, status = await get_and_head(seeded_client, "/readyz")
    assert status == 200
    assert head.keys() == got.keys()
    assert head["content-type"] == got["content-type"]


async def test_head_changes_nothing_and_its_access_line_says_head() -> None:
    with capture_logs() as logs:  # before the app is built: its access logger binds then
        async with admin_client(make_settings(DATABASE_URL="memory://")) as client:
            await client.post("/v1/tasks", json={"title": "Seen by HEAD", "priority": 3})
            before = (await client.get("/v1/tasks")).json()
            response = await client.head("/v1/tasks/1", headers={"x-request-id": "a-head"})
            assert (await client.get("/v1/tasks")).json() == before
    assert response.status_code == 200
    access = [line for line in logs if line["event"] == "request" and line["method"] == "HEAD"]
    assert [(line["path"], line["status"]) for line in access] == [("/v1/tasks/1", 200)]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/tasks", "GET, HEAD, OPTIONS, POST"),
        ("/v1/tasks/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/readyz", "GET, HEAD, OPTIONS"),
        ("/schema/openapi.json", "GET, HEAD, OPTIONS"),
    ],
)
async def test_allow_lists_head_beside_get_on_options_and_on_405(memory_client: Client, path: str, allow: str) -> None:
    options = await memory_client.options(path)
    assert (options.status_code, options.headers["allow"]) == (204, allow)
    wrong = await memory_client.request("TRACE", path)
    assert_error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == allow
