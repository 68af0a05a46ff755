"""Shared by the hostile-input modules: seed tasks, an app shared by a module, and checks that a
refused request changed nothing."""

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx

from tests.http.envelope import assert_error
from tests.sync_client import SyncClient, open_client

SEEDS: Final = (
    {"title": "Straße", "priority": 3},
    {"title": "ǅemal", "priority": 2, "status": "in_progress"},
    {"title": "Fix bug", "priority": 1, "description": "why"},
)
MAX_BODY_BYTES: Final = 64 * 1024
MAX_ID: Final = 2**63 - 1
JSON: Final = {"content-type": "application/json"}


def seeded_client(kind: str, url: str) -> Iterator[SyncClient]:
    """A started app on `url` holding SEEDS; for a module-scoped fixture to yield from."""
    test_client = open_client(kind, url, MAX_BODY_BYTES=str(MAX_BODY_BYTES))
    try:
        for seed in SEEDS:
            assert test_client.post("/v1/tasks", json=seed).status_code == 201
        yield test_client
    finally:
        test_client.__exit__(None, None, None)


def by_title(client: SyncClient) -> dict[str, dict[str, Any]]:
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
