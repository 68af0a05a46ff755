"""API_PREFIX moves the API routes (and their Location) but never the probes or the docs."""

import pytest

from tests.http.conftest import ClientFactory
from tests.http.envelope import assert_error


@pytest.mark.parametrize(("setting", "prefix"), [("/api/v2", "/api/v2"), ("/", "")])
async def test_task_routes_live_under_the_configured_prefix(
    client_for: ClientFactory, setting: str, prefix: str
) -> None:
    async with client_for(API_PREFIX=setting) as client:
        created = await client.post(f"{prefix}/tasks", json={"title": "t", "priority": 1})
        assert created.headers["location"] == f"{prefix}/tasks/{created.json()['id']}"
        assert (await client.get(created.headers["location"])).json() == created.json()
        assert_error(await client.get("/v1/tasks"), 404, "not_found")
        assert (await client.get("/healthz")).status_code == 200
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
        assert set(paths) == {
            *(f"{prefix}{path}" for path in ("/tasks", "/tasks/{task_id}", "/auth/token", "/api-keys/{key_id}")),
            *(f"{prefix}/users{path}" for path in ("", "/me", "/{user_id}", "/{user_id}/api-keys")),
            "/healthz",
            "/readyz",
        }
