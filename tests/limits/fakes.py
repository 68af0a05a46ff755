"""Fakes for the rate-limit tests: a clock the test moves, counters whose store is down on demand,
and a middleware that lets a header stand for the client address (the test client has one)."""

import asyncio
from collections.abc import MutableMapping
from typing import Any, cast

from litestar.types import ASGIApp, Receive, Scope, Send

from taskservice.http.limits.windows import Hit, MemoryWindows

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


class AddressFromHeader:
    """`X-Test-Address` stands for the client address (the stand-in token route's tests)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        writable = cast("MutableMapping[str, Any]", scope)
        headers: dict[bytes, bytes] = dict(writable.get("headers", ()))
        if address := headers.get(TEST_ADDRESS.encode()):
            writable["client"] = (address.decode(), 40000)
        await self.app(scope, receive, send)
