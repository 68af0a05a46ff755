"""RATE_LIMIT per caller through the real app; the sign-in limit through a stand-in token route.

Authentication is not merged yet: `FakeAuthentication` (tests/limits/fakes.py, TEST ONLY) stands
in front of the limit, where the real middleware will be, and names the caller by a header."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, Response, post
from litestar.testing import AsyncTestClient

from taskservice.bootstrap import create_app, rate_limits_from_settings
from taskservice.http.errors import build_exception_handlers
from taskservice.http.limits.sign_in import SignInLimiter
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.limits.windows import MemoryWindows
from taskservice.http.middleware import RequestContextMiddleware
from tests.conftest import make_settings
from tests.http.envelope import assert_error
from tests.limits.fakes import TEST_ADDRESS, TEST_USER, FakeAuthentication, after_fake_authentication

Client = AsyncTestClient[RequestContextMiddleware]
ANN, BOB = {TEST_USER: "1"}, {TEST_USER: "2"}


@asynccontextmanager
async def limited(rate_limit: str | None = "3/minute") -> AsyncGenerator[Client]:
    """The app with RATE_LIMIT (None: unset, the default)."""
    settings = make_settings(DATABASE_URL="memory://", **({"RATE_LIMIT": rate_limit} if rate_limit else {}))
    app = create_app(settings, rate_limits=after_fake_authentication(rate_limits_from_settings(settings)))
    async with AsyncTestClient(app=app) as client:
        yield client


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
    async with limited() as client:
        answers = [await client.get("/v1/tasks", headers=ANN) for _ in range(3)]
        assert [budget(answer) for answer in answers] == [("3", "2"), ("3", "1"), ("3", "0")]
        refused = await client.post("/v1/tasks", json={"title": "Too many", "priority": 1}, headers=ANN)
        assert_rate_limited(refused)
        assert_rate_limited(await client.get("/v1/tasks", headers=ANN))
        assert (await client.get("/v1/tasks", headers=BOB)).json()["total"] == 0
    assert RATE_LIMIT_STATS.rejections == rejections + 2


async def test_each_caller_has_its_own_budget() -> None:
    async with limited() as client:
        for _ in range(3):
            await client.get("/v1/tasks", headers=ANN)
        assert_rate_limited(await client.get("/v1/tasks", headers=ANN))
        created = await client.post("/v1/tasks", json={"title": "Bob's", "priority": 1}, headers=BOB)
        assert created.status_code == 201
        assert budget(created) == ("3", "2")


async def test_anonymous_requests_are_counted_by_client_address_apart_from_users() -> None:
    async with limited() as client:
        first = {TEST_ADDRESS: "10.0.0.1"}
        for _ in range(3):
            assert (await client.get("/v1/tasks", headers=first)).status_code == 200
        assert_rate_limited(await client.get("/v1/tasks/1", headers=first))
        assert budget(await client.get("/v1/tasks", headers={TEST_ADDRESS: "10.0.0.2"})) == ("3", "2")
        # A user calling from the exhausted address spends its own budget.
        assert budget(await client.get("/v1/tasks", headers={**first, **ANN})) == ("3", "2")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/schema/openapi.json", "/schema/swagger"])
async def test_open_routes_carry_no_limit(path: str) -> None:
    async with limited() as client:
        for _ in range(5):
            answer = await client.get(path, headers=ANN)
            assert answer.status_code == 200
            assert not any(name.startswith("ratelimit-") for name in answer.headers)


async def test_off_turns_the_caller_limit_off() -> None:
    async with limited("off") as client:
        for _ in range(5):
            answer = await client.get("/v1/tasks", headers=ANN)
            assert answer.status_code == 200
            assert not any(name.startswith("ratelimit-") for name in answer.headers)


async def test_the_default_limit_is_6000_a_minute() -> None:
    async with limited(None) as client:
        assert budget(await client.get("/v1/tasks", headers=ANN)) == ("6000", "5999")


# A stand-in for the token handler of branch h-auth, making the one call it needs.
def token_app(limiter: SignInLimiter) -> RequestContextMiddleware:
    @post("/v1/auth/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        form: dict[str, str] = await request.json()
        headers = await limiter.hit(request.client.host if request.client else None, form["username"])
        return Response({"access_token": "not-a-real-one"}, headers=headers)

    handlers = build_exception_handlers(expose_causes=False)
    # The fake authentication only lets a header stand for the client address here.
    return RequestContextMiddleware(Litestar([token], exception_handlers=handlers, middleware=[FakeAuthentication]))


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
