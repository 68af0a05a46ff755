"""Hostile inputs whose outcome the store decides (column lengths in code points, the title key's
unique index, 64-bit bounds in SQL), on every store; a refused write leaves every task as it was.

The app and its seed tasks are shared by the tests of a module (per store) through the
synchronous TestClient; a test that creates a task deletes it again. The cases refused before
storage run once, in test_hostile_parsing.py.
"""

from collections.abc import Iterator
from typing import Any, Final

import pytest

from tests.http.hostile import MAX_ID, SEEDS, by_title, created, refused, seeded_client
from tests.sync_client import SyncClient


@pytest.fixture(scope="module", params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    kind: str = request.param
    if kind == "memory":
        url = "memory://"
    elif kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('hostile') / 'tasks.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    yield from seeded_client(kind, url)


@pytest.fixture
def seeded(client: SyncClient) -> dict[str, dict[str, Any]]:
    """The seed tasks by title."""
    return by_title(client)


# --- lengths in code points ------------------------------------------------------------------------

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


# --- 64-bit bounds in SQL --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_the_largest_64_bit_id_is_valid_and_not_found(client: SyncClient, method: str) -> None:
    body = {"priority": 2} if method == "PATCH" else None
    response = refused(client, 404, "task_not_found", method, f"/v1/tasks/{MAX_ID}", json=body)
    assert response.json()["error"]["details"] == {"id": MAX_ID}


def test_the_largest_offset_is_an_empty_page_with_the_full_total(client: SyncClient) -> None:
    response = client.get(f"/v1/tasks?offset={MAX_ID}")
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": len(SEEDS), "limit": 100, "offset": MAX_ID}
