from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware

Client = AsyncTestClient[RequestContextMiddleware]


async def test_a_created_task_can_be_fetched_by_its_location(client: Client) -> None:
    created = await client.post("/v1/tasks", json={"title": "  Ship it ", "priority": 3})
    assert created.status_code == 201
    fetched = await client.get(created.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.json()["title"] == "Ship it"


async def test_a_title_key_collision_is_a_409_envelope(client: Client) -> None:
    await client.post("/v1/tasks", json={"title": "Fix bug", "priority": 1})
    response = await client.post("/v1/tasks", json={"title": " fix BUG ", "priority": 2})
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "duplicate_task"
    assert body["error"]["details"] == {"title": " fix BUG "}
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    listing = await client.get("/v1/tasks")
    assert listing.json()["total"] == 1
