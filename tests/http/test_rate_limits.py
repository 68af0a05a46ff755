"""RATE_LIMIT per caller through the real app (callers authenticated by their API keys); the
sign-in limiter's counting through a stand-in token route whose client address a header names."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, Response, post
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.bootstrap import create_app
from taskservice.domain.user import Role
from taskservice.http.errors import build_exception_handlers
from taskservice.http.limits.sign_in import SignInLimiter
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.limits.windows import MemoryWindows
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import add_user, bearer
from tests.conftest import make_settings
from tests.http.envelope import assert_error
from tests.limits.fakes import TEST_ADDRESS, AddressFromHeader

Client = AsyncTestClient[RequestContextMiddleware]
Callers = tuple[Client, dict[str, str], dict[str, str]]


@asynccontextmanager
async def limited(rate_limit: str | None = "3/minute") -> AsyncGenerator[Callers]:
    """The app with RATE_LIMIT (None: unset, the default), and the headers of two writers, Ann and Bob."""
    settings = make_settings(DATABASE_URL="memory://", **({"RATE_LIMIT": rate_limit} if rate_limit else {}))
    store = MemoryStore()
    (_, ann), (_, bob) = await add_user(store, Role.WRITER), await add_user(store, Role.WRITER)
    async with AsyncTestClient(app=create_app(settings, store=store)) as client:
        yield client, bearer(ann), bearer(bob)


def budget(response: httpx.Response) -> tuple[str, str]:
    assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    return response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"]


def assert_rate_limited(response: httpx.Response) -> None:
    error = assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert error["details"] == {"retry_after": retry_after}
    assert response.headers["ratelimit-reset"] == str(retry_after)
    assert (response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"]) == ("3", "0")


async def test_a_caller_past_its_limit_gets_429_rate_limited_with_retry_after_and_nothing_changes() -> None:
    rejections = RATE_LIMIT_STATS.rejections
    async with limited() as (client, ann, bob):
        answers = [await client.get("/v1/tasks", headers=ann) for _ in range(3)]
        assert [budget(answer) for answer in answers] == [("3", "2"), ("3", "1"), ("3", "0")]
        refused = await client.post("/v1/tasks", json={"title": "Too many", "priority": 1}, headers=ann)
        assert_rate_limited(refused)
        assert_rate_limited(await client.get("/v1/tasks", headers=ann))
        assert (await client.get("/v1/tasks", headers=bob)).json()["total"] == 0
    assert RATE_LIMIT_STATS.rejections == rejections + 2


async def test_each_caller_has_its_own_budget() -> None:
    async with limited() as (client, ann, bob):
        for _ in range(3):
            await client.get("/v1/tasks", headers=ann)
        assert_rate_limited(await client.get("/v1/tasks", headers=ann))
        created = await client.post("/v1/tasks", json={"title": "Bob's", "priority": 1}, headers=bob)
        assert created.status_code == 201
        assert budget(created) == ("3", "2")


async def test_requests_without_a_valid_credential_are_refused_before_they_are_counted() -> None:
    async with limited() as (client, ann, _):
        for _ in range(5):
            refused = await client.get("/v1/tasks", headers=bearer("tsk_not-a-key"))
            assert_error(refused, 401, "unauthenticated")
            assert not any(name.startswith("ratelimit-") for name in refused.headers)
        assert budget(await client.get("/v1/tasks", headers=ann)) == ("3", "2")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/schema/openapi.json", "/schema/swagger"])
async def test_open_routes_carry_no_limit(path: str) -> None:
    async with limited() as (client, ann, _):
        for _ in range(5):
            answer = await client.get(path, headers=ann)
            assert answer.status_code == 200
            assert not any(name.startswith("ratelimit-") for name in answer.headers)


async def test_off_turns_the_caller_limit_off() -> None:
    async with limited("off") as (client, ann, _):
        for _ in range(5):
            answer = await client.get("/v1/tasks", headers=ann)
            assert answer.status_code == 200
            assert not any(name.startswith("ratelimit-") for name in answer.headers)


async def test_the_default_limit_is_6000_a_minute() -> None:
    async with limited(None) as (client, ann, _):
        assert budget(await client.get("/v1/tasks", headers=ann)) == ("6000", "5999")


# A stand-in for the token handler, making the one call it makes; a header names the client address.
def token_app(limiter: SignInLimiter) -> RequestContextMiddleware:
    @post("/v1/auth/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        form: dict[str, str] = await request.json()
        headers = await limiter.hit(request.client.host if request.client else None, form["username"])
        return Response({"access_token": "not-a-real-one"}, headers=headers)

    handlers = build_exception_handlers(expose_causes=False)
    return RequestContextMiddleware(Litestar([token], exception_handlers=handlers, middleware=[AddressFromHeader]))


async def sign_in(client: Client, email: str, address: str = "10.9.9.9") -> httpx.Response:
    form = {"username": email, "password": "whatever"}
    return await client.post("/v1/auth/token", json=form, headers={TEST_ADDRESS: address})


async def test_sign_in_allows_ten_attempts_a_minute_per_address() -> None:
    async with AsyncTestClient(app=token_app(SignInLimiter(MemoryWindows()))) as client:
        answers = [await sign_in(client, f"user{n}@example.com") for n in range(10)]
        assert [answer.headers["ratelimit-remaining"] for answer in answers] == [str(9 - n) for n in range(10)]
        refused = await sign_in(client, "someone-else@example.com")
        error = assert_error(refused, 429, "rate_limited")
        assert (
            refused.headers["retry-after"] == refused.headers["ratelimit-reset"] == str(error["details"]["retry_after"])
        )
        assert refused.headers["ratelimit-limit"] == "10"


async def test_sign_in_allows_ten_attempts_a_minute_per_email_from_any_address() -> None:
    async with AsyncTestClient(app=token_app(SignInLimiter(MemoryWindows()))) as client:
        for n in range(10):
            assert (await sign_in(client, " Ann@Example.com", f"10.0.0.{n}")).status_code == 200
        assert_error(await sign_in(client, "ann@example.com", "10.0.1.1"), 429, "rate_limited")
        assert (await sign_in(client, "bob@example.com", "10.0.1.1")).status_code == 200


async def test_the_token_route_refuses_the_eleventh_attempt_in_a_minute_and_counts_it_in_the_metrics() -> None:
    async with limited() as (client, _, _):
        form = {"grant_type": "password", "username": "nobody@example.com", "password": "not-the-password"}
        for _ in range(10):
            assert_error(await client.post("/v1/auth/token", data=form), 401, "invalid_credentials")
        refused = await client.post("/v1/auth/token", data={**form, "username": "someone@example.com"})
        error = assert_error(refused, 429, "rate_limited")  # the address is spent, whatever the email
        assert refused.headers["retry-after"] == str(error["details"]["retry_after"])
        scraped = (await client.get("/metrics")).text
        assert "rate_limit_rejections_total 1.0" in scraped
