"""Through the app, with a controlled clock: a revoked key and a deactivated user are refused once
AUTH_CACHE_TTL has passed since the verdict was cached (every worker's entries expire alike)."""

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.domain.user import Role
from tests.auth import add_key, add_user, admin_app, bearer, change_user, revoke
from tests.conftest import make_settings
from tests.fakes import FixedClock
from tests.http.envelope import assert_error


@pytest.mark.parametrize("ttl", ["5", "0"])
async def test_revocation_and_deactivation_apply_within_the_ttl(ttl: str) -> None:
    store, clock = MemoryStore(), FixedClock(datetime.now(UTC))
    app, _ = admin_app(make_settings(DATABASE_URL="memory://", AUTH_CACHE_TTL=ttl), store=store, clock=clock)
    user, key = await add_user(store, Role.WRITER)
    other_id, other = await add_key(store, user.id)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/v1/tasks", headers=bearer(other))).status_code == 200
        await revoke(store, other_id)
        if ttl != "0":
            clock.advance(timedelta(seconds=float(ttl) - 0.5))
            assert (await client.get("/v1/tasks", headers=bearer(other))).status_code == 200  # still cached
            clock.advance(timedelta(seconds=0.5))
        assert_error(await client.get("/v1/tasks", headers=bearer(other)), 401, "unauthenticated")

        assert (await client.get("/v1/tasks", headers=bearer(key))).status_code == 200
        await change_user(store, user.id, active=False)
        clock.advance(timedelta(seconds=float(ttl)))
        assert_error(await client.get("/v1/tasks", headers=bearer(key)), 401, "unauthenticated")


async def test_a_demotion_applies_within_the_ttl() -> None:
    store, clock = MemoryStore(), FixedClock(datetime.now(UTC))
    app, _ = admin_app(make_settings(DATABASE_URL="memory://"), store=store, clock=clock)
    user, key = await add_user(store, Role.WRITER)
    async with AsyncTestClient(app=app) as client:
        body = {"title": "t", "priority": 1}
        assert (await client.post("/v1/tasks", json=body, headers=bearer(key))).status_code == 201
        await change_user(store, user.id, role="reader")
        clock.advance(timedelta(seconds=5))
        assert_error(await client.post("/v1/tasks", json=body, headers=bearer(key)), 403, "forbidden")
