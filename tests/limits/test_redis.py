"""RATE_LIMIT_STORE=redis://…, for real: one budget across app instances (as across workers), and
a Redis that goes away: requests served, one warning, counted; limiting resumes when it is back."""

import asyncio
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import httpx
from litestar.testing import AsyncTestClient
from structlog.testing import capture_logs

from taskservice.adapters.memory import MemoryStore
from taskservice.bootstrap import create_app
from taskservice.domain.user import Role
from taskservice.http.limits.redis_windows import redis_windows
from taskservice.http.limits.setup import RateLimits, build_rate_limits
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import add_user, bearer
from tests.conftest import make_settings
from tests.limits.redis_server import PrivateRedis, require_shared_redis

Client = AsyncTestClient[RequestContextMiddleware]


@asynccontextmanager
async def app_on(limits: RateLimits, store: MemoryStore) -> AsyncGenerator[Client]:
    settings = make_settings(DATABASE_URL="memory://")
    async with AsyncTestClient(app=create_app(settings, store=store, rate_limits=limits)) as client:
        yield client


def remaining(response: httpx.Response) -> str | None:
    assert response.status_code in (200, 429), response.text
    return response.headers.get("ratelimit-remaining")


async def test_hits_are_counted_atomically_under_concurrency() -> None:
    windows = redis_windows(require_shared_redis(), timeout=1.0)
    key = f"test:{uuid.uuid4().hex}"
    try:
        hits = await asyncio.gather(*(windows.hit(key, 60) for _ in range(50)))
    finally:
        await windows.aclose()
    assert sorted(hit.count for hit in hits) == list(range(1, 51))
    assert all(1 <= hit.reset_in <= 60 for hit in hits)


async def test_two_app_instances_on_one_redis_share_each_callers_budget() -> None:
    url = require_shared_redis()
    namespace = f"test-{uuid.uuid4().hex}"  # counts no other run shares
    store = MemoryStore()  # one database behind both instances, as behind two workers
    user = bearer((await add_user(store, Role.WRITER))[1])
    async with (
        app_on(build_rate_limits(("minute", 3), url, redis_namespace=namespace), store) as first,
        app_on(build_rate_limits(("minute", 3), url, redis_namespace=namespace), store) as second,
    ):
        assert remaining(await first.get("/v1/tasks", headers=user)) == "2"
        assert remaining(await second.get("/v1/tasks", headers=user)) == "1"
        assert remaining(await first.get("/v1/tasks", headers=user)) == "0"
        refused = await second.get("/v1/tasks", headers=user)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"


async def test_a_redis_outage_is_served_with_one_warning_counted_and_limiting_resumes_after_it() -> None:
    store = MemoryStore()
    user = bearer((await add_user(store, Role.WRITER))[1])
    with PrivateRedis() as server:
        limits = build_rate_limits(("minute", 3), server.url, backoff=0.05, max_backoff=0.2)
        async with app_on(limits, store) as client:
            assert [remaining(await client.get("/v1/tasks", headers=user)) for _ in range(3)] == ["2", "1", "0"]
            assert (await client.get("/v1/tasks", headers=user)).status_code == 429

            server.kill()
            fail_opens = RATE_LIMIT_STATS.fail_opens
            with capture_logs() as logs:
                during = [await client.get("/v1/tasks", headers=user) for _ in range(20)]
                assert [answer.status_code for answer in during] == [200] * 20
                assert all(remaining(answer) is None for answer in during)
                assert RATE_LIMIT_STATS.fail_opens == fail_opens + 20

                server.start()  # empty: every count starts again
                for _ in range(200):  # the backoff is at most 0.2 s
                    if remaining(await client.get("/v1/tasks", headers=user)) is not None:
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("the limit did not resume after Redis came back")
            events = [line["event"] for line in logs]
            assert events.count("rate_limit_store_unavailable") == 1
            assert events.count("rate_limit_store_recovered") == 1
            assert [remaining(await client.get("/v1/tasks", headers=user)) for _ in range(2)] == ["1", "0"]
            assert (await client.get("/v1/tasks", headers=user)).status_code == 429
