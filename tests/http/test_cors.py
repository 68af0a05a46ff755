"""CORS: off by default; with CORS_ORIGINS, preflight is answered for those origins only."""

from tests.http.conftest import ClientFactory

ALLOWED = "https://app.example.com"
PREFLIGHT = {
    "Origin": ALLOWED,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match, Idempotency-Key",
}


async def test_cors_is_off_by_default(client_for: ClientFactory) -> None:
    async with client_for() as client:
        preflight = await client.options("/v1/tasks", headers=PREFLIGHT)
        simple = await client.get("/v1/tasks", headers={"Origin": ALLOWED})
    for response in (preflight, simple):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]
    # Without CORS an OPTIONS is the route's own answer.
    assert preflight.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_an_allowed_preflight_is_answered_by_cors_not_by_the_route(client_for: ClientFactory) -> None:
    async with client_for(CORS_ORIGINS=f"{ALLOWED},http://localhost:3000") as client:
        response = await client.options("/v1/tasks/any-id", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key", "x-request-id"} <= allowed
    assert "allow" not in response.headers  # the route's OPTIONS handler never ran
    assert response.headers["x-request-id"]


async def test_a_preflight_from_another_origin_is_refused(client_for: ClientFactory) -> None:
    async with client_for(CORS_ORIGINS=ALLOWED) as client:
        response = await client.options("/v1/tasks", headers={**PREFLIGHT, "Origin": "https://evil.example.com"})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


async def test_a_cross_origin_request_may_read_the_exposed_headers(client_for: ClientFactory) -> None:
    async with client_for(CORS_ORIGINS=ALLOWED) as client:
        created = await client.post(
            "/v1/tasks", json={"title": "Cross-origin", "priority": 1}, headers={"Origin": ALLOWED}
        )
        other = await client.get("/v1/tasks", headers={"Origin": "https://evil.example.com"})
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == ALLOWED
    exposed = {h.strip().lower() for h in created.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"etag", "location", "x-request-id"}
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers
