"""Probes: /healthz answers without I/O; /readyz makes one bounded round-trip to the database."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.ports.unit_of_work import Store
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.ops.fakes import FailingPing, HangingPing

Client = AsyncTestClient[RequestContextMiddleware]


@pytest.fixture
def store() -> Store:
    return MemoryStore()


@pytest.fixture
async def client(store: Store) -> AsyncIterator[Client]:
    settings = make_settings(DATABASE_URL="memory://", READINESS_TIMEOUT="0.2")
    async with admin_client(settings, store=store) as test_client:
        yield test_client


async def test_readyz_reports_the_database_check_and_its_latency(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body == {
        "status": "ready",
        "checks": {"database": {"status": "ok", "latency_ms": body["checks"]["database"]["latency_ms"]}},
    }
    assert body["checks"]["database"]["latency_ms"] >= 0


@pytest.mark.parametrize(
    ("store", "problem"),
    [(HangingPing(), "no answer within 0.2s"), (FailingPing(), "ConnectionRefusedError")],
)
async def test_readyz_is_a_retryable_503_with_the_check_when_the_database_does_not_answer(
    client: Client, problem: str
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["request_id"] == response.headers["x-request-id"]
    check = error["details"]["checks"]["database"]
    assert (check["status"], check["error"]) == ("error", problem)
    assert check["latency_ms"] >= 0


@pytest.mark.parametrize("store", [HangingPing()])
async def test_healthz_answers_while_the_database_hangs(client: Client) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
