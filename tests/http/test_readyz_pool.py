"""/readyz's database check reports this worker's pool: how many connections it may hold, how
many are lent out (none while only the probe runs). The in-memory store has no pool to report."""

from typing import Any

from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware

# What each store's pool holds with the default DB_POOL_SIZE (10): SQLite keeps two connections
# (one writer, one reader) whatever the setting.
EXPECTED_SIZE = {"memory": None, "sqlite": 2, "postgres": 10}


async def test_readyz_reports_the_pool_size_and_connections_in_use(
    client: AsyncTestClient[RequestContextMiddleware], store_kind: str
) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    check: dict[str, Any] = response.json()["checks"]["database"]
    assert check["status"] == "ok"
    if EXPECTED_SIZE[store_kind] is None:
        assert set(check) == {"status", "latency_ms"}
    else:
        assert set(check) == {"status", "latency_ms", "size", "in_use"}
        assert (check["size"], check["in_use"]) == (EXPECTED_SIZE[store_kind], 0)
