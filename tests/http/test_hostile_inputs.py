"""Hostile inputs, on every store: each is answered with the documented envelope, never a 5xx, and a
refused write leaves every stored task exactly as it was.

The app and its seed tasks are shared by the tests of a module (per store) through the
synchronous TestClient; a test that creates a task deletes it again.
"""

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx
import pytest

from tests.http.envelope import UUID4, assert_error, field_errors
from tests.sync_client import SyncClient, open_client

SEEDS: Final = (
    {"title": "Straße", "priority": 3},
    {"title": "ǅemal", "priority": 2, "status": "in_progress"},
    {"title": "Fix bug", "priority": 1, "description": "why"},
)
MAX_BODY_BYTES: Final = 64 * 1024
MAX_ID: Final = 2**63 - 1
JSON: Final = {"content-type": "application/json"}


@pytest.fixture(scope="module", params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    kind: str = request.param
    if kind == "memory":
        url = "memory://"
    elif kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('hostile') / 'tasks.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    test_client = open_client(kind, url, MAX_BODY_BYTES=str(MAX_BODY_BYTES))
    try:
        for seed in SEEDS:
            assert test_client.post("/v1/tasks", json=seed).status_code == 201
        yield test_client
    finally:
        test_client.__exit__(None, None, None)


@pytest.fixture
def seeded(client: SyncClient) -> dict[str, dict[str, Any]]:
    """The seed tasks by title."""
    return {task["title"]: task for task in everything(client)}


def everything(client: SyncClient) -> list[dict[str, Any]]:
    response = client.get("/v1/tasks", params={"limit": "500", "order_by": "created_at", "order_dir": "asc"})
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def refused(client: SyncClient, status: int, code: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Send the request; check the envelope, and that no stored task changed."""
    before = everything(client)
    response = client.request(method, url, **kwargs)
    assert_error(response, status, code)
    assert everything(client) == before
    return response


@contextmanager
def created(client: SyncClient, **kwargs: Any) -> Generator[dict[str, Any]]:
    """POST a task that must be accepted; delete it afterwards."""
    response = client.post("/v1/tasks", **kwargs)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    try:
        yield task
    finally:
        assert client.delete(f"/v1/tasks/{task['id']}").status_code == 204


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


# 200 code points after trimming, built from characters that are several UTF-8 bytes or UTF-16
# units each: emoji (4 bytes, 2 units), combining marks (a base and its mark are 2 code points).
TWO_HUNDRED: Final = {
    "ascii": "a" * 200,
    "emoji": "🚀" * 200,
    "combining": "e\u0301" * 100,
    "emoji-with-skin-tone": "👍🏽" * 100,
    "mixed": ("é🚀e\u0301" * 50)[:200],
}


@pytest.mark.parametrize("title", TWO_HUNDRED.values(), ids=TWO_HUNDRED.keys())
def test_a_title_of_200_code_points_after_trimming_is_accepted(client: SyncClient, title: str) -> None:
    assert len(title) == 200
    with created(client, json={"title": f" \t{title}\u3000 ", "priority": 1}) as task:
        assert task["title"] == title
        assert client.get(f"/v1/tasks/{task['id']}").json()["title"] == title


@pytest.mark.parametrize("title", TWO_HUNDRED.values(), ids=TWO_HUNDRED.keys())
def test_a_title_of_201_code_points_after_trimming_is_refused(client: SyncClient, title: str) -> None:
    longer = title + title[-1]
    response = refused(
        client, 422, "validation_error", "POST", "/v1/tasks", json={"title": f" {longer} ", "priority": 1}
    )
    assert field_errors(response) == [("body", "title")]


# --- title keys: str.strip().casefold(), no Unicode normalisation ------------------------------------


@pytest.mark.parametrize(
    ("colliding", "holder"),
    [
        ("STRASSE", "Straße"),
        ("strasse", "Straße"),
        (" straSSe\n", "Straße"),
        ("Ǆemal", "ǅemal"),
        ("ǆemal", "ǅemal"),
        ("ǄEMAL", "ǅemal"),
        ("\u00a0FIX BUG\u3000", "Fix bug"),
    ],
)
def test_a_casefold_collision_is_a_409_on_create_and_on_rename(
    client: SyncClient, seeded: dict[str, dict[str, Any]], colliding: str, holder: str
) -> None:
    create = refused(client, 409, "duplicate_task", "POST", "/v1/tasks", json={"title": colliding, "priority": 1})
    assert create.json()["error"]["details"] == {"title": colliding}
    other = next(task for title, task in seeded.items() if title != holder)
    rename = refused(client, 409, "duplicate_task", "PATCH", f"/v1/tasks/{other['id']}", json={"title": colliding})
    assert rename.json()["error"]["details"] == {"title": colliding}


def test_renaming_a_task_onto_its_own_casefolded_key_is_allowed(
    client: SyncClient, seeded: dict[str, dict[str, Any]]
) -> None:
    task = seeded["Straße"]
    renamed = client.patch(f"/v1/tasks/{task['id']}", json={"title": "STRASSE"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "STRASSE"
    restored = client.patch(f"/v1/tasks/{task['id']}", json={"title": "Straße"})
    assert restored.status_code == 200


@pytest.mark.parametrize(
    ("first", "second"), [("café", "cafe\u0301"), ("Fix bug", "Fix  bug"), ("Fix bug", "Fix bug\u200b")]
)
def test_titles_that_only_look_alike_are_different_keys(client: SyncClient, first: str, second: str) -> None:
    """No Unicode normalisation; inner whitespace and zero-width characters count."""
    with (
        created(client, json={"title": first + " (a)", "priority": 1}),
        created(client, json={"title": second + " (a)", "priority": 1}),
    ):
        pass


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


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_the_largest_64_bit_id_is_valid_and_not_found(client: SyncClient, method: str) -> None:
    body = {"priority": 2} if method == "PATCH" else None
    response = refused(client, 404, "task_not_found", method, f"/v1/tasks/{MAX_ID}", json=body)
    assert response.json()["error"]["details"] == {"id": MAX_ID}


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


def test_the_largest_offset_is_an_empty_page_with_the_full_total(client: SyncClient) -> None:
    response = client.get(f"/v1/tasks?offset={MAX_ID}")
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": len(SEEDS), "limit": 100, "offset": MAX_ID}


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
    [("/v1/tasks", "GET, OPTIONS, POST"), ("/v1/tasks/1", "DELETE, GET, OPTIONS, PATCH, PUT")],
)
def test_options_lists_every_method_of_the_route(client: SyncClient, path: str, allowed: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allowed
