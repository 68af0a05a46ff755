"""Measure what callers see while PostgreSQL is lost: time to each 503, and time to recover.

Run: `uv run --group test python -m bench.measure_outage [DB_POOL_TIMEOUT DB_STATEMENT_TIMEOUT READINESS_TIMEOUT]`
(defaults: the service's own, 5 5 2). PostgreSQL from TEST_DATABASE_URL; a TCP proxy cuts it.
"""

import asyncio
import sys
import time

from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.databases import fresh_postgres_database
from tests.storage.proxy import Mode, proxied

from taskservice.bootstrap import create_app

PROBES = (("GET", "/v1/tasks/1"), ("GET", "/v1/tasks"), ("POST", "/v1/tasks"), ("GET", "/readyz"))


async def _measure(url: str, timeouts: dict[str, str]) -> None:
    for outage in (Mode.RESET, Mode.BLACKHOLE):
        with proxied(url) as (proxy, through):
            app = create_app(make_settings(DATABASE_URL=through, **timeouts))
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


def main(arguments: list[str]) -> None:
    names = ("DB_POOL_TIMEOUT", "DB_STATEMENT_TIMEOUT", "READINESS_TIMEOUT")
    timeouts: dict[str, str] = dict(zip(names, arguments or ["5", "5", "2"], strict=True))
    print(timeouts)
    with fresh_postgres_database() as url:
        asyncio.run(_measure(url, timeouts))


if __name__ == "__main__":
    main(sys.argv[1:])
