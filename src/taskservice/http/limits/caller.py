"""`RATE_LIMIT` per caller on every protected route: Litestar's `RateLimitMiddleware`, counting in
`Windows` (windows.py says why) and failing open (fail_open.py).

What is Litestar's here: the middleware's place in the stack and its exclusion of paths and of
handlers with `opt={"rate_limit_exempt": True}`, the cache key, the send wrapper that adds the
`RateLimit-*` headers, and the exception (a `TooManyRequestsException`). What is replaced: its
`__call__`, whose get-and-set of a timestamp list under a process lock is the part that falls
short (not atomic across workers, O(limit) per request, a store error becomes a 500), and the
headers' values, computed from the counted hit (without Litestar's extra `RateLimit-Policy`).

It must run after authentication, which sets `scope["user"]` to a `Caller`: place
`limits.middleware` right after the authentication middleware in `Litestar(middleware=[...])`
(Litestar runs middleware in list order).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    DurationUnit,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)
from litestar.types import ASGIApp, Receive, Scope, Send

from taskservice.domain.user import Caller
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.limits.windows import Hit, MemoryWindows, RateLimited, Windows, rate_limit_headers

Limit = tuple[DurationUnit, int]  # ("minute", 6000): Litestar's form of "6000/minute"
EXEMPT_OPT_KEY: Final = "rate_limit_exempt"
_NO_HIT: Final = Hit(0, 1)


def caller_key(request: Request[Any, Any, Any]) -> str:
    """Whose budget a request spends: its user's when authenticated (every key and token of one
    user share it), else its client address's (as uvicorn gives it: behind a trusted proxy, the
    address the proxy forwarded)."""
    # Absent on routes without authentication (and before it is installed).
    user = cast("Mapping[str, object]", request.scope).get("user")
    if isinstance(user, Caller):
        return f"user:{user.user_id}"
    return f"address:{get_remote_address(request)}"


def open_paths(api_prefix: str) -> list[str]:
    """The routes that need no credential, so carry no caller limit: probes, API docs, metrics,
    and sign-in (which has its own, sign_in.py). Patterns on the request path."""
    return [r"^/healthz$", r"^/readyz$", r"^/schema(/|$)", r"^/metrics$", rf"^{re.escape(api_prefix)}/auth/token$"]


@dataclass
class _Counted(CacheObject):
    """Litestar's cache object carrying a counted hit instead of a list of timestamps."""

    hit: Hit = _NO_HIT


@dataclass
class CallerRateLimitConfig(RateLimitConfig):
    windows: Windows = field(default_factory=MemoryWindows)


class CallerRateLimitMiddleware(RateLimitMiddleware):
    def __init__(self, app: ASGIApp, config: CallerRateLimitConfig) -> None:
        super().__init__(app, config)
        self._windows = config.windows
        self._seconds = DURATION_VALUES[self.unit]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = Request(scope)
        hit = await self._windows.hit(self.cache_key_from_request(request), self._seconds)
        if hit is not None:  # None: the store is down, the request is served (fail_open.py)
            if hit.count > self.max_requests:
                RATE_LIMIT_STATS.count_rejection()
                raise RateLimited(hit.reset_in, rate_limit_headers(self.max_requests, hit))
            send = self.create_send_wrapper(send, _Counted(history=[], reset=0, hit=hit))
        await self.app(scope, receive, send)

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        assert isinstance(cache_object, _Counted)  # noqa: S101 - only __call__ makes them
        return rate_limit_headers(self.max_requests, cache_object.hit)


def caller_rate_limit(limit: Limit, windows: Windows, *, exclude: Sequence[str]) -> DefineMiddleware:
    """The middleware to list right after authentication's in `Litestar(middleware=[...])`."""
    config = CallerRateLimitConfig(
        rate_limit=limit,
        exclude=list(exclude),
        exclude_opt_key=EXEMPT_OPT_KEY,
        identifier_for_request=caller_key,
        middleware_class=CallerRateLimitMiddleware,
        windows=windows,
    )
    return config.middleware
