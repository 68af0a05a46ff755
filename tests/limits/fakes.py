"""Fakes for the rate-limit tests: a clock the test moves, counters whose store is down on demand,
and — TEST ONLY, until authentication (branch h-auth) is merged — a stand-in for its middleware."""

import asyncio
from collections.abc import MutableMapping
from typing import Any, cast

from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from taskservice.domain.user import Caller, Role
from taskservice.http.limits.setup import RateLimits
from taskservice.http.limits.windows import Hit, MemoryWindows

TEST_USER = "x-test-user"
TEST_ADDRESS = "x-test-address"


class MovableClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FlakyWindows:
    """Memory counters that raise ConnectionRefusedError (an OSError, as a refused socket does)
    while `down`, and count how often they were asked."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0
        self._inner = MemoryWindows()

    async def hit(self, key: str, window: int) -> Hit:
        self.calls += 1
        await asyncio.sleep(0)  # a round trip: other requests run meanwhile
        if self.down:
            raise ConnectionRefusedError("connection refused")
        return await self._inner.hit(key, window)

    async def aclose(self) -> None:
        await self._inner.aclose()


class FakeAuthentication:
    """TEST ONLY, a stand-in for the authentication middleware of branch h-auth, which sets
    `scope["user"]` to a `Caller`: here the user whose id the `X-Test-User` header names (no
    header: anonymous). `X-Test-Address` stands for the client address. Remove once h-auth is in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        writable = cast("MutableMapping[str, Any]", scope)
        headers: dict[bytes, bytes] = dict(writable.get("headers", ()))
        if user := headers.get(TEST_USER.encode()):
            writable["user"] = Caller(user_id=int(user), role=Role.WRITER)
        if address := headers.get(TEST_ADDRESS.encode()):
            writable["client"] = (address.decode(), 40000)
        await self.app(scope, receive, send)


def after_fake_authentication(limits: RateLimits) -> RateLimits:
    """The rate limits with the fake authentication in front, as h-auth's will be in the app."""
    return limits._replace(middleware=[DefineMiddleware(FakeAuthentication), *limits.middleware])
