"""/healthz answers without I/O; /readyz makes one real round-trip to the store, bounded by a timeout."""

from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware
from tests.fakes import BrokenStore
from tests.http.conftest import ClientFactory
from tests.http.envelope import assert_error

Client = AsyncTestClient[RequestContextMiddleware]


async def test_healthz_is_ok_without_touching_the_store(client_for: ClientFactory) -> None:
    store = BrokenStore()
    async with client_for(store=store) as client:
        response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert store.calls == 0


async def test_readyz_reports_the_database_round_trip(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database"}
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], int | float)
    assert database["latency_ms"] >= 0


async def test_readyz_is_503_with_the_failed_check_when_the_store_fails(client_for: ClientFactory) -> None:
    store = BrokenStore(ConnectionRefusedError("db down"))
    async with client_for(store=store, APP_ENV="prod") as client:
        response = await client.get("/readyz")
    error = assert_error(response, 503, "service_unavailable")
    database = error["details"]["checks"]["database"]
    assert database["status"] == "error"
    assert database["latency_ms"] >= 0
    assert "db down" not in response.text
    assert int(response.headers["retry-after"]) >= 1
    assert store.calls == 1


async def test_readyz_gives_up_after_the_readiness_timeout(client_for: ClientFactory) -> None:
    async with client_for(store=BrokenStore(hang=True), READINESS_TIMEOUT="0.05") as client:
        response = await client.get("/readyz")
    error = assert_error(response, 503, "service_unavailable")
    assert error["details"]["checks"]["database"]["status"] == "error"
    assert "0.05" in error["details"]["checks"]["database"]["error"]
