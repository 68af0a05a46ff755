"""Measure what callers see while PostgreSQL is lost: time to each 503, and time to recover.

Run: `uv run --group test python -m bench.measure_outage [DB_POOL_TIMEOUT DB_STATEMENT_TIMEOUT READINESS_TIMEOUT]`
(defaults: the service's own, 5 5 2). PostgreSQL from TEST_DATABASE_URL; a TCP proxy cuts it.
First one request at a time through the app (`/readyz` first, so it meets a pooled connection);
then 40 readers at once on the store (a pool of 10), the moment the network is partitioned.
"""

import asyncio
import statistics
import sys
import time

from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.databases import fresh_postgres_database
from tests.storage.proxy import Mode, proxied
from tests.storage.stores import add, get, opened

from taskservice.adapters.sql.store import SqlStore
from taskservice.bootstrap import create_app
from taskservice.domain.errors import StorageUnavailable

PROBES = (("GET", "/readyz"), ("GET", "/v1/tasks/1"), ("GET", "/v1/tasks"), ("POST", "/v1/tasks"))
READERS = 40
POOL_SIZE = 10


async def _one_at_a_time(url: str, timeouts: dict[str, str]) -> None:
    for outage in (Mode.RESET, Mode.BLACKHOLE):
        with proxied(url) as (proxy, through):
            app = create_app(make_settings(DATABASE_URL=through, DB_POOL_SIZE=str(POOL_SIZE), **timeouts))
            async with AsyncTestClient(app=app) as client:
                await client.post("/v1/tasks", json={"title": f"before {outage.value}", "priority": 1})
                proxy.cut(outage)
                for attempt in (1, 2):
                    for method, path in PROBES:
                        body = {"title": "during", "priority": 1} if method == "POST" else None
                        started = time.perf_counter()
                        response = await client.request(method, path, json=body)
                        elapsed = (time.perf_counter() - started) * 1000
                        print(
                            f"{outage.value:9} attempt {attempt} {method:4} {path:13} -> {response.status_code} "
                            f"Retry-After={response.headers.get('retry-after')} in {elapsed:7.1f} ms"
                        )
                proxy.restore()
                started = time.perf_counter()
                status = (await client.get("/v1/tasks")).status_code
                print(
                    f"{outage.value:9} restored: first GET /v1/tasks -> {status} in "
                    f"{(time.perf_counter() - started) * 1000:.1f} ms (no restart)"
                )


async def _read(store: SqlStore, task_id: int) -> float:
    started = time.perf_counter()
    try:
        await get(store, task_id)
    except StorageUnavailable:
        return time.perf_counter() - started
    raise AssertionError("a read succeeded in a partition")


async def _many_at_once(url: str, timeouts: dict[str, str]) -> None:
    pool_timeout, statement_timeout = float(timeouts["DB_POOL_TIMEOUT"]), float(timeouts["DB_STATEMENT_TIMEOUT"])
    with proxied(url) as (proxy, through):
        options = {"pool_size": POOL_SIZE, "pool_timeout": pool_timeout, "statement_timeout": statement_timeout}
        async with opened(through, **options) as store:
            task = await add(store, "read by many")
            proxy.cut(Mode.BLACKHOLE)
            for wave in (1, 2):
                waits = sorted(await asyncio.gather(*(_read(store, task.id) for _ in range(READERS))))
                print(
                    f"blackhole {READERS} readers at once, wave {wave}: all unavailable; seconds to it "
                    f"min {waits[0]:.2f} median {statistics.median(waits):.2f} max {waits[-1]:.2f}"
                )


def main(arguments: list[str]) -> None:
    names = ("DB_POOL_TIMEOUT", "DB_STATEMENT_TIMEOUT", "READINESS_TIMEOUT")
    timeouts: dict[str, str] = dict(zip(names, arguments or ["5", "5", "2"], strict=True))
    print(timeouts)
    with fresh_postgres_database() as url:
        asyncio.run(_one_at_a_time(url, timeouts))
        asyncio.run(_many_at_once(url, timeouts))


if __name__ == "__main__":
    main(sys.argv[1:])
