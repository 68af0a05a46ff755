"""Hostile inputs the service refuses (or reads) before it reaches storage: each is answered with
the documented envelope, never a 5xx, and a refused write leaves every stored task as it was.

Parsing does not depend on the store, so these run once, on the in-memory store; the cases whose
outcome storage decides are in test_hostile_storage.py. The app and its seed tasks are shared by
the tests of the module through the synchronous TestClient; a test that creates a task deletes it.
"""

from collections.abc import Iterator
from typing import Any, Final

import pytest

from tests.http.envelope import UUID4, field_errors
from tests.http.hostile import JSON, MAX_BODY_BYTES, SEEDS, by_title, created, refused, seeded_client
from tests.sync_client import SyncClient

TWO_HUNDRED_TITLES: Final = ("a" * 200, "🚀" * 200, "e\u0301" * 100, "👍🏽" * 100, ("é🚀e\u0301" * 50)[:200])


@pytest.fixture(scope="module")
def client() -> Iterator[SyncClient]:
    yield from seeded_client("memory", "memory://")


@pytest.fixture
def seeded(client: SyncClient) -> dict[str, dict[str, Any]]:
    """The seed tasks by title."""
    return by_title(client)


# --- NUL, lengths in code points --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("field", ["title", "description"])
def test_nul_in_title_or_description_is_refused(
    client: SyncClient, seeded: dict[str, dict[str, Any]], method: str, field: str
) -> None:
    body = {"title": "Nul here", "priority": 1, field: "a\u0000b"}
    url = "/v1/tasks" if method == "POST" else f"/v1/tasks/{seeded['Fix bug']['id']}"
    response = refused(client, 422, "validation_error", method, url, json=body)
    assert field_errors(response) == [("body", field)]


# The longest titles are in test_hostile_storage.py: whether they are stored whole is up to the store.
@pytest.mark.parametrize("title", TWO_HUNDRED_TITLES, ids=["ascii", "emoji", "combining", "skin-tone", "mixed"])
def test_a_title_of_201_code_points_after_trimming_is_refused(client: SyncClient, title: str) -> None:
    longer = title + title[-1]
    response = refused(
        client, 422, "validation_error", "POST", "/v1/tasks", json={"title": f" {longer} ", "priority": 1}
    )
    assert field_errors(response) == [("body", "title")]


# --- priority: JSON types and bounds ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'"3"',
        b"true",
        b"false",
        b"null",
        b"3.5",
        b"0",
        b"-0",
        b"-0.0",
        b"6",
        b"9223372036854775808",
        b"1e400",
        b"[3]",
        b"3.0",
        b"1e0",
        b"5.000",
        b"0.2e1",
    ],
)
def test_a_priority_that_is_not_an_integer_from_1_to_5_is_refused(client: SyncClient, raw: bytes) -> None:
    body = b'{"title": "Priority probe", "priority": ' + raw + b"}"
    response = refused(client, 422, "validation_error", "POST", "/v1/tasks", content=body, headers=JSON)
    assert field_errors(response) == [("body", "priority")]


# --- path ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("task_id", ["0", "-1", "9223372036854775808", "abc", "1.5", "+1", "1_0", "%201"])
def test_a_path_id_that_is_not_a_positive_64_bit_integer_is_a_422(
    client: SyncClient, method: str, task_id: str
) -> None:
    body = None if method in ("GET", "DELETE") else {"priority": 2} if method == "PATCH" else SEEDS[0]
    response = refused(client, 422, "validation_error", method, f"/v1/tasks/{task_id}", json=body)
    assert field_errors(response) == [("path", "task_id")]


# --- bodies ----------------------------------------------------------------------------------------

DEEP: Final = 30_000  # deeper than msgspec's recursion limit, well under MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"[]", ""),
        (b'"x"', ""),
        (b"null", ""),
        (b"1", ""),
        (b"", ""),
        (b'{"title": "Truncated", "prio', ""),
        (b'{"title": "Truncated", "priority": 1', ""),
        (b"\xff\xfe{}", ""),
        (b'{"title": "Bad \xff UTF-8", "priority": 1}', ""),
        (b'{"title": "Overlong \xc0\xaf", "priority": 1}', ""),
        (b"[" * DEEP + b"]" * DEEP, ""),
        (b'{"title": ' + b"[" * DEEP + b"]" * DEEP + b', "priority": 1}', "title"),
        (b'{"title": "Deep", "priority": 1, "extra": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001, "extra"),
        (b'{"title": "Trailing", "priority": 1} {}', ""),
        (b"7StIs", ""),
    ],
    ids=lambda value: value[:24].decode("utf-8", "replace") if isinstance(value, bytes) else value,
)
def test_a_body_that_is_not_one_valid_json_object_is_a_422(client: SyncClient, content: bytes, field: str) -> None:
    for method, url in (("POST", "/v1/tasks"), ("PUT", "/v1/tasks/1"), ("PATCH", "/v1/tasks/1")):
        response = refused(client, 422, "validation_error", method, url, content=content, headers=JSON)
        assert field_errors(response) == [("body", field)]


def test_of_duplicate_keys_the_last_one_wins(client: SyncClient) -> None:
    """The documented rule: the last occurrence wins, but every occurrence must be well typed."""
    body = b'{"title": "First", "title": "Last", "priority": 1, "priority": 4}'
    with created(client, content=body, headers=JSON) as task:
        assert (task["title"], task["priority"]) == ("Last", 4)
    ill_typed = b'{"title": "Dup", "priority": "high", "priority": 1}'
    response = refused(
        client,
        422,
        "validation_error",
        "POST",
        "/v1/tasks",
        content=ill_typed,
        headers=JSON,
    )
    assert field_errors(response) == [("body", "priority")]


def _padded_body(size: int) -> bytes:
    head, tail = b'{"title": "Big", "priority": 1, "description": "', b'"}'
    return head + b" " * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_one_byte_over_the_limit_is_a_413_with_content_length(client: SyncClient, method: str) -> None:
    url = "/v1/tasks" if method == "POST" else "/v1/tasks/1"
    refused(client, 413, "payload_too_large", method, url, content=_padded_body(MAX_BODY_BYTES + 1))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_one_byte_over_the_limit_is_a_413_when_streamed_without_content_length(
    client: SyncClient, method: str
) -> None:
    body = _padded_body(MAX_BODY_BYTES + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    url = "/v1/tasks" if method == "POST" else "/v1/tasks/1"
    response = refused(client, 413, "payload_too_large", method, url, content=chunks())
    assert "content-length" not in response.request.headers


def test_a_body_of_exactly_the_limit_is_read(client: SyncClient) -> None:
    body = _padded_body(MAX_BODY_BYTES)
    response = refused(client, 422, "validation_error", "POST", "/v1/tasks", content=body, headers=JSON)
    assert field_errors(response) == [("body", "description")]  # read, then refused for its length


# --- Content-Type ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/json",
        "application/xml",
        "",
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_declared_as_anything_but_json_is_a_415(client: SyncClient, method: str, content_type: str) -> None:
    url = "/v1/tasks" if method == "POST" else "/v1/tasks/1"
    body = b'{"title": "Declared wrong", "priority": 1}'
    refused(client, 415, "unsupported_media_type", method, url, content=body, headers={"content-type": content_type})


def test_a_body_without_content_type_is_read_as_json(client: SyncClient) -> None:
    with created(client, content=b'{"title": "No content type", "priority": 2}') as task:
        assert task["priority"] == 2


# --- list query ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("limit=0", ["limit"]),
        ("limit=501", ["limit"]),
        ("limit=-1", ["limit"]),
        ("limit=abc", ["limit"]),
        ("limit=5.0", ["limit"]),
        ("limit=", ["limit"]),
        ("offset=-1", ["offset"]),
        ("offset=9223372036854775808", ["offset"]),
        ("status=bogus", ["status"]),
        ("status=NEW", ["status"]),
        ("order_by=bogus", ["order_by"]),
        ("order_dir=up", ["order_dir"]),
        ("limit=1&limit=2", ["limit"]),
        ("offset=0&offset=0", ["offset"]),
        ("order_by=title&order_by=title", ["order_by"]),
        ("foo=1", ["foo"]),
        ("Limit=1", ["Limit"]),
        ("limit=0&offset=-1&bogus=1", ["bogus", "limit", "offset"]),
    ],
)
def test_a_bad_list_query_is_a_422_naming_every_bad_parameter(
    client: SyncClient, query: str, fields: list[str]
) -> None:
    response = client.get(f"/v1/tasks?{query}")
    assert sorted(field for _, field in field_errors(response)) == fields
    assert {source for source, _ in field_errors(response)} == {"query"}


# --- X-Request-ID ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offered",
    ["with spaces", "x" * 200, "x" * 129, "tab\there", "bell\x07", "del\x7f", "", "é", "a,b"],
    ids=["spaces", "200-chars", "129-chars", "tab", "bell", "del", "empty", "non-ascii", "comma"],
)
@pytest.mark.parametrize("path", ["/v1/tasks", "/v1/tasks/0", "/nowhere"])
def test_an_unusable_request_id_is_replaced_by_a_new_uuid4(client: SyncClient, offered: str, path: str) -> None:
    response = client.get(path, headers=[(b"x-request-id", offered.encode("latin-1"))])
    assert response.status_code < 500
    assert UUID4.fullmatch(response.headers["x-request-id"])
    if response.status_code >= 400:
        assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


def test_a_sane_request_id_of_128_characters_is_echoed(client: SyncClient) -> None:
    offered = ("Az09._:-" * 16)[:128]
    response = client.get("/v1/tasks/0", headers={"x-request-id": offered})
    assert response.headers["x-request-id"] == offered
    assert response.json()["error"]["request_id"] == offered


# --- OPTIONS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/v1/tasks", "GET, HEAD, OPTIONS, POST"), ("/v1/tasks/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT")],
)
def test_options_lists_every_method_of_the_route(client: SyncClient, path: str, allowed: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allowed
