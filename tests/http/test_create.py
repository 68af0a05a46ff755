"""POST /v1/tasks: field rules, strict types, defaults, Location, uniqueness."""

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from structlog.testing import capture_logs

from taskservice.adapters.memory import MemoryStore
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_app, bearer, raw_bearer
from tests.conftest import make_settings
from tests.http.envelope import assert_error, field_errors
from tests.http.raw_asgi import drive

Client = AsyncTestClient[RequestContextMiddleware]
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


async def listing(client: Client) -> Any:
    return (await client.get("/v1/tasks?order_by=created_at&order_dir=asc")).json()


async def test_returns_201_with_the_stored_task_and_its_location(client: Client) -> None:
    response = await client.post("/v1/tasks", json={"title": "  Ship it \n", "priority": 3})
    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"/v1/tasks/{task['id']}"
    assert task == {
        "id": task["id"],
        "title": "Ship it",
        "description": None,
        "status": "new",
        "priority": 3,
        "created_at": task["created_at"],
        "updated_at": task["created_at"],
        "version": 1,
        "created_by": task["created_by"],
        "updated_by": task["created_by"],
    }
    assert isinstance(task["created_by"], int)  # the caller's user id (tests/http/test_tasks_record_who.py)
    assert isinstance(task["id"], int)
    assert task["id"] >= 1
    assert RFC3339_UTC.fullmatch(task["created_at"])
    assert (await client.get(response.headers["location"])).json() == task


async def test_takes_description_and_status_when_given(client: Client) -> None:
    body = {"title": "T", "priority": 5, "description": "  kept as sent  ", "status": "in_progress"}
    task = (await client.post("/v1/tasks", json=body)).json()
    assert (task["description"], task["status"], task["priority"]) == ("  kept as sent  ", "in_progress", 5)


async def test_an_empty_description_is_kept_and_not_turned_into_null(client: Client) -> None:
    task = (await client.post("/v1/tasks", json={"title": "T", "priority": 1, "description": ""})).json()
    assert task["description"] == ""


async def test_returns_409_when_title_key_is_taken_and_names_the_title_as_sent(client: Client) -> None:
    await client.post("/v1/tasks", json={"title": "Straße", "priority": 1})
    before = await listing(client)
    response = await client.post("/v1/tasks", json={"title": "  STRASSE ", "priority": 2})
    assert assert_error(response, 409, "duplicate_task")["details"] == {"title": "  STRASSE "}
    assert await listing(client) == before


async def test_titles_that_differ_inside_are_not_duplicates(memory_client: Client) -> None:
    for title in ("Fix bug", "Fix  bug", "Fix bug!"):
        assert (await memory_client.post("/v1/tasks", json={"title": title, "priority": 1})).status_code == 201


async def test_title_length_counts_characters_after_trimming(memory_client: Client) -> None:
    longest = "ü" * 200
    created = await memory_client.post("/v1/tasks", json={"title": f"  {longest}  ", "priority": 1})
    assert created.json()["title"] == longest
    too_long = await memory_client.post("/v1/tasks", json={"title": "x" * 201, "priority": 1})
    assert field_errors(too_long) == [("body", "title")]


async def test_description_length_counts_characters(memory_client: Client) -> None:
    ok = await memory_client.post("/v1/tasks", json={"title": "a", "priority": 1, "description": "🚀" * 2000})
    assert ok.status_code == 201
    too_long = await memory_client.post("/v1/tasks", json={"title": "b", "priority": 1, "description": "x" * 2001})
    assert field_errors(too_long) == [("body", "description")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "priority": 1}, "title"),
        ({"title": " \t\n ", "priority": 1}, "title"),
        ({"title": "a\u0000b", "priority": 1}, "title"),
        ({"title": "ok", "priority": 1, "description": "a\u0000"}, "description"),
        ({"priority": 1}, "title"),
        ({"title": "ok"}, "priority"),
        ({"title": "ok", "priority": "3"}, "priority"),
        ({"title": "ok", "priority": 3.0}, "priority"),
        ({"title": "ok", "priority": 3.5}, "priority"),
        ({"title": "ok", "priority": True}, "priority"),
        ({"title": "ok", "priority": None}, "priority"),
        ({"title": "ok", "priority": 0}, "priority"),
        ({"title": "ok", "priority": 6}, "priority"),
        ({"title": "ok", "priority": 2**64}, "priority"),
        ({"title": 5, "priority": 1}, "title"),
        ({"title": None, "priority": 1}, "title"),
        ({"title": ["a"], "priority": 1}, "title"),
        ({"title": "ok", "priority": 1, "status": "done"}, "status"),
        ({"title": "ok", "priority": 1, "status": "NEW"}, "status"),
        ({"title": "ok", "priority": 1, "status": None}, "status"),
        ({"title": "ok", "priority": 1, "description": 5}, "description"),
        ({"title": "ok", "priority": 1, "owner": "me"}, "owner"),
    ],
)
async def test_returns_422_naming_the_field_that_breaks_a_rule(
    memory_client: Client, body: dict[str, Any], field: str
) -> None:
    assert field_errors(await memory_client.post("/v1/tasks", json=body)) == [("body", field)]
    assert (await listing(memory_client))["total"] == 0


@pytest.mark.parametrize(
    "field", ["id", "created_at", "updated_at", "completed_at", "version", "created_by", "updated_by"]
)
async def test_returns_422_read_only_field_for_every_server_owned_field(memory_client: Client, field: str) -> None:
    response = await memory_client.post("/v1/tasks", json={"title": "ok", "priority": 1, field: 1})
    assert assert_error(response, 422, "read_only_field")["details"] == {"field": field}
    assert (await listing(memory_client))["total"] == 0


async def test_a_server_owned_field_is_reported_before_other_mistakes(memory_client: Client) -> None:
    response = await memory_client.post("/v1/tasks", json={"title": 5, "bogus": 1, "version": 2})
    assert assert_error(response, 422, "read_only_field")["details"] == {"field": "version"}


async def test_a_duplicate_json_key_takes_its_last_value(memory_client: Client) -> None:
    response = await memory_client.post(
        "/v1/tasks",
        content=b'{"title": "first", "title": "last", "priority": 1}',
        headers={"content-type": "application/json"},
    )
    assert response.json()["title"] == "last"


async def test_every_occurrence_of_a_duplicate_json_key_must_be_valid(memory_client: Client) -> None:
    response = await memory_client.post(
        "/v1/tasks",
        content=b'{"title": "t", "priority": "high", "priority": 1}',
        headers={"content-type": "application/json"},
    )
    assert field_errors(response) == [("body", "priority")]


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"],
)
async def test_a_json_body_is_read_whatever_json_content_type_declares_it(
    memory_client: Client, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = await memory_client.post("/v1/tasks", content=b'{"title": "t", "priority": 1}', headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("content", "expected_field"),
    [
        (b"", ""),
        (b"{", ""),
        (b'{"title": "t", "priority": 1,}', ""),
        (b"\xff\xfe", ""),
        (b"[]", ""),
        (b'"a string"', ""),
        (b"42", ""),
        (b"null", ""),
        (b'{"title": "t", "priority": 1} trailing', ""),
        (b'\xef\xbb\xbf{"title": "t", "priority": 1}', ""),
    ],
)
async def test_returns_422_for_malformed_json_and_bodies_that_are_not_objects(
    memory_client: Client, content: bytes, expected_field: str
) -> None:
    response = await memory_client.post("/v1/tasks", content=content, headers={"content-type": "application/json"})
    assert field_errors(response) == [("body", expected_field)]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_client_gone_before_its_body_ended_changes_nothing(method: str) -> None:
    """The body arrives in pieces and the client disconnects halfway: no write, no partial task, and
    the client's doing: logged as 499 in the access line, with no error line and no traceback."""
    store = MemoryStore()
    with capture_logs() as logs:  # before the app is built: its access logger binds then
        app, key = admin_app(make_settings(DATABASE_URL="memory://"), store=store)
        async with AsyncTestClient(app=app) as client:
            client.headers.update(bearer(key))
            created = await client.post("/v1/tasks", json={"title": "Kept", "priority": 2})
            before = (await client.get("/v1/tasks")).json()
            path = "/v1/tasks" if method == "POST" else created.headers["location"]
            incoming: list[dict[str, Any]] = [
                {"type": "http.request", "body": b'{"title": "Half', "more_body": True},
                {"type": "http.disconnect"},
            ]
            headers = [(b"host", b"test"), (b"content-type", b"application/json"), *raw_bearer(key)]
            sent = await drive(app, method, path, incoming, headers)
            assert (await client.get("/v1/tasks")).json() == before
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 499  # nobody reads it, but the request ends without a write
    access = [line for line in logs if line["event"] == "request" and line["method"] == method]
    assert [line["status"] for line in access] == [201, 499] if method == "POST" else [499]
    assert [line for line in logs if line["log_level"] in ("error", "critical") or "exc_info" in line] == []
