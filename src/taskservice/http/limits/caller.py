"""`RATE_LIMIT` per caller on every protected route, spent by the authentication middleware
(http/access.py) once it knows who calls, counting in `Windows` (windows.py) and failing open
(fail_open.py).

Not a Litestar `RateLimitMiddleware` of its own, though this was one: its counting falls short
(windows.py says why) and, as a second middleware layer behind authentication, the bypass check
on the path, the extra coroutine and the send wrapper of that layer cost a GET by id more than
5 % (52k of 644k instructions per request with the limit on, bench/instructions.py; the same
limit spent from the authentication middleware: docs/performance.md). What stays Litestar's:
the exception (`RateLimited` is a `TooManyRequestsException`) and the `RateLimit-*` headers'
names and values.
"""

from typing import Final

from litestar.types import Message, Send

from taskservice.domain.user import Caller
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.limits.windows import Hit, RateLimited, Windows, rate_limit_headers
from taskservice.setting_values import RateUnit

Limit = tuple[RateUnit, int]  # ("minute", 6000): RATE_LIMIT's "6000/minute"
SECONDS: Final[dict[RateUnit, int]] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class CallerLimit:
    """`limit` requests per window per user (every key and token of one user share it), counted
    in `windows`."""

    def __init__(self, limit: Limit, windows: Windows) -> None:
        unit, self.max_requests = limit
        self._seconds = SECONDS[unit]
        self._windows = windows
        self._limit_header = (b"ratelimit-limit", str(self.max_requests).encode())

    async def spend(self, caller: Caller, send: Send) -> Send:
        """Count one request of `caller`: raise `RateLimited` over the limit, else the `send` that
        adds the `RateLimit-*` headers (or `send` itself when the store is down: fail_open.py)."""
        hit = await self._windows.hit(f"user:{caller.user_id}", self._seconds)
        if hit is None:
            return send
        if hit.count > self.max_requests:
            RATE_LIMIT_STATS.count_rejection()
            raise RateLimited(hit.reset_in, rate_limit_headers(self.max_requests, hit))
        return self._with_headers(send, hit)

    def _with_headers(self, send: Send, hit: Hit) -> Send:
        # Appended as raw ASGI headers: Litestar's own wrapper sets each through
        # MutableScopeHeaders, which scans every header already there for each one it adds.
        extra = (
            self._limit_header,
            (b"ratelimit-remaining", str(max(0, self.max_requests - hit.count)).encode()),
            (b"ratelimit-reset", str(hit.reset_in).encode()),
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        return send_with_headers
