"""Losing PostgreSQL: every store call fails as `StorageUnavailable`, task routes and /readyz answer
503 + Retry-After, in bounded time; the app keeps running, and it serves again as soon as the
database is back. A real TCP proxy cuts the network."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from taskservice.adapters.sql.migrations import create_engine
from taskservice.adapters.sql.store import SqlStore
from taskservice.domain.errors import StorageUnavailable
from taskservice.domain.task import TaskStatus
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.process import MODULE, running
from tests.storage.proxy import Mode, TcpProxy, proxied
from tests.storage.stores import add, change, get, listed, opened, remove

pytestmark = pytest.mark.postgres

# Every database wait is bounded by half a second here; anything slower than this is a hang.
TIMEOUTS = {"DB_POOL_TIMEOUT": "0.5", "DB_STATEMENT_TIMEOUT": "0.5", "READINESS_TIMEOUT": "0.5"}
HANG = 15

Client = AsyncTestClient[RequestContextMiddleware]


@pytest.fixture
def proxy_and_url(empty_postgres_url: str) -> Generator[tuple[TcpProxy, str]]:
    with proxied(empty_postgres_url) as pair:
        yield pair


@pytest.fixture
async def client(proxy_and_url: tuple[TcpProxy, str]) -> AsyncGenerator[Client]:
    _, url = proxy_and_url
    async with admin_client(make_settings(DATABASE_URL=url, DB_POOL_SIZE="2", **TIMEOUTS)) as test_client:
        yield test_client


async def request(client: Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    async with asyncio.timeout(HANG):
        return await client.request(method, path, **kwargs)  # pyright: ignore[reportArgumentType]


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0


OUTAGES = pytest.mark.parametrize("outage", [Mode.RESET, Mode.BLACKHOLE], ids=["server-gone", "network-partition"])


@OUTAGES
async def test_every_store_call_is_unavailable_while_the_database_is_lost_and_serves_once_it_is_back(
    proxy_and_url: tuple[TcpProxy, str], outage: Mode
) -> None:
    proxy, url = proxy_and_url
    async with opened(url, pool_size=2, pool_timeout=0.5, statement_timeout=0.5) as store:
        kept = await add(store, "Kept")

        proxy.cut(outage)
        calls: list[Callable[[], Awaitable[object]]] = [
            store.ping,
            lambda: get(store, kept.id),
            lambda: listed(store),
            lambda: add(store, "Lost"),
            lambda: change(store, kept.id, status=TaskStatus.COMPLETED),
            lambda: remove(store, kept.id),
        ]
        for call in calls:
            with pytest.raises(StorageUnavailable):
                async with asyncio.timeout(HANG):
                    await call()

        proxy.restore()
        async with asyncio.timeout(HANG):
            await store.ping()
            assert await listed(store) == ([kept], 1)
            assert (await add(store, "Back")).title == "Back"


async def test_closing_the_store_while_the_network_is_partitioned_ends_without_an_error(
    proxy_and_url: tuple[TcpProxy, str],
) -> None:
    """Shutdown must not fail (and skip what follows it) because the database cannot answer."""
    proxy, url = proxy_and_url
    store = SqlStore(url, pool_size=2, pool_timeout=0.5, statement_timeout=0.5)
    await store.open(migrate=True)
    await add(store, "Before")
    proxy.cut(Mode.BLACKHOLE)

    async with asyncio.timeout(HANG):
        await store.close()


@OUTAGES
async def test_routes_answer_503_while_the_database_is_lost_and_recover_without_a_restart(
    client: Client, proxy_and_url: tuple[TcpProxy, str], outage: Mode
) -> None:
    proxy, _ = proxy_and_url
    created = (await request(client, "POST", "/v1/tasks", json={"title": "Survive", "priority": 2})).json()

    proxy.cut(outage)
    for method, path, body in [
        ("GET", f"/v1/tasks/{created['id']}", None),
        ("GET", "/v1/tasks", None),
        ("POST", "/v1/tasks", {"title": "Lost", "priority": 1}),
        ("PATCH", f"/v1/tasks/{created['id']}", {"priority": 5}),
        ("DELETE", f"/v1/tasks/{created['id']}", None),
    ]:
        assert_unavailable(await request(client, method, path, json=body))
    readiness = await request(client, "GET", "/readyz")
    assert_unavailable(readiness)
    assert readiness.json()["error"]["details"]["checks"]["database"]["status"] == "error"
    assert (await request(client, "GET", "/healthz")).status_code == 200

    proxy.restore()
    assert (await request(client, "GET", "/readyz")).status_code == 200
    listed = (await request(client, "GET", "/v1/tasks")).json()
    assert listed["items"] == [created]
    assert (await request(client, "POST", "/v1/tasks", json={"title": "Back", "priority": 1})).status_code == 201


async def test_readyz_answers_within_its_timeout_when_the_network_is_partitioned(
    proxy_and_url: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    """The ping is cut off at READINESS_TIMEOUT; giving its connection back must not then wait on
    a server that cannot answer (for the ping's cancellation, up to the 30 s statement and pool
    timeouts). The real process, so that the caller's own timeout bounds the answer."""
    proxy, url = proxy_and_url
    environ = {
        "APP_ENV": "test",
        "LOG_LEVEL": "INFO",
        "HOST": "127.0.0.1",
        "DATABASE_URL": url,
        "DB_POOL_SIZE": "2",
        "DB_POOL_TIMEOUT": "30",
        "DB_STATEMENT_TIMEOUT": "30",
        "READINESS_TIMEOUT": "0.5",
    }
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=1) as service:
        # Far above 0.5 s, far below 30 s: a wait on the lost server times the request out.
        async with httpx.AsyncClient(base_url=service.base_url, timeout=HANG / 3) as http:
            assert (await http.get("/readyz")).status_code == 200
            proxy.cut(Mode.BLACKHOLE)
            for _ in range(3):  # each pooled connection, then one being opened
                readiness = await http.get("/readyz")
                assert_unavailable(readiness)
                assert readiness.json()["error"]["details"]["checks"]["database"]["error"] == "no answer within 0.5s"


_LOCK_WAITERS = """
SELECT count(*) FROM pg_locks
WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def test_an_exhausted_pool_and_a_stuck_statement_answer_503_and_the_service_serves_once_freed(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    """One pooled connection: a request stuck behind a table lock holds it until the statement
    timeout; meanwhile the next request gets no connection within the pool timeout. The real
    process, because the in-process test client runs one request at a time."""
    environ = {
        "APP_ENV": "test",
        "LOG_LEVEL": "INFO",
        "HOST": "127.0.0.1",
        "DATABASE_URL": empty_postgres_url,
        "DB_POOL_SIZE": "1",
        "DB_POOL_TIMEOUT": "0.5",
        "DB_STATEMENT_TIMEOUT": "2",
    }
    locker = create_engine(empty_postgres_url)
    try:
        with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=1) as service:
            async with httpx.AsyncClient(base_url=service.base_url, timeout=HANG, headers=service.headers) as http:
                async with locker.connect() as connection:
                    await connection.execute(text("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE"))
                    stuck = asyncio.ensure_future(http.get("/v1/tasks"))
                    for _ in range(200):
                        if (await connection.execute(text(_LOCK_WAITERS))).scalar_one():
                            break
                        await asyncio.sleep(0.05)

                    assert_unavailable(await http.post("/v1/tasks", json={"title": "x", "priority": 1}))
                    assert_unavailable(await stuck)
                    await connection.rollback()

                assert (await http.get("/v1/tasks")).json()["total"] == 0
    finally:
        await locker.dispose()
