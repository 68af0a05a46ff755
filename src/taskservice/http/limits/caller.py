"""`RATE_LIMIT` per caller on every protected route: Litestar's `RateLimitMiddleware`, counting in
`Windows` (windows.py says why) and failing open (fail_open.py).

What is Litestar's here: the middleware's place in the stack, its exclusion of paths and of
handlers with `opt={"rate_limit_exempt": True}`, its configuration, and the exception (a
`TooManyRequestsException`). What is replaced, because it falls short: its `__call__`, whose
get-and-set of a timestamp list under a process lock is not atomic across workers, costs
O(limit) per request and turns a store error into a 500; its cache key, made here from the
scope without building a `Request`; and its send wrapper for the `RateLimit-*` headers (the
same names, without Litestar's extra `RateLimit-Policy`), which alone cost a GET more than the
counting (docs/performance.md).

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
    DurationUnit,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from taskservice.domain.user import Caller
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.limits.windows import Hit, MemoryWindows, RateLimited, Windows, rate_limit_headers

Limit = tuple[DurationUnit, int]  # ("minute", 6000): Litestar's form of "6000/minute"
EXEMPT_OPT_KEY: Final = "rate_limit_exempt"


def caller_key(scope: Scope) -> str:
    """Whose budget a request spends: its user's when authenticated (every key and token of one
    user share it), else its client address's (as uvicorn gives it: behind a trusted proxy, the
    address the proxy forwarded)."""
    # Absent on routes without authentication (and before it is installed).
    fields = cast("Mapping[str, Any]", scope)
    user = fields.get("user")
    if isinstance(user, Caller):
        return f"user:{user.user_id}"
    client = fields.get("client")
    return f"address:{client[0] if client else 'unknown'}"


def _identifier(request: Request[Any, Any, Any]) -> str:
    return caller_key(request.scope)


def open_paths(api_prefix: str) -> list[str]:
    """The routes that need no credential, so carry no caller limit: probes, API docs, metrics,
    and sign-in (which has its own, sign_in.py). Patterns on the request path."""
    return [r"^/healthz$", r"^/readyz$", r"^/schema(/|$)", r"^/metrics$", rf"^{re.escape(api_prefix)}/auth/token$"]


@dataclass
class CallerRateLimitConfig(RateLimitConfig):
    windows: Windows = field(default_factory=MemoryWindows)


class CallerRateLimitMiddleware(RateLimitMiddleware):
    def __init__(self, app: ASGIApp, config: CallerRateLimitConfig) -> None:
        super().__init__(app, config)
        self._windows = config.windows
        self._seconds = DURATION_VALUES[self.unit]
        self._limit_header = (b"ratelimit-limit", str(self.max_requests).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The key straight from the scope, without a Request and Litestar's cache_key_from_request
        # (whose mount and static suffixes cannot apply: the static files are not limited).
        hit = await self._windows.hit(caller_key(scope), self._seconds)
        if hit is not None:  # None: the store is down, the request is served (fail_open.py)
            if hit.count > self.max_requests:
                RATE_LIMIT_STATS.count_rejection()
                raise RateLimited(hit.reset_in, rate_limit_headers(self.max_requests, hit))
            send = self._with_headers(send, hit)
        await self.app(scope, receive, send)

    def _with_headers(self, send: Send, hit: Hit) -> Send:
        # Appended as raw ASGI headers: Litestar's wrapper sets each through MutableScopeHeaders,
        # which scans every header already there for each one it adds.
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


def caller_rate_limit(limit: Limit, windows: Windows, *, exclude: Sequence[str]) -> DefineMiddleware:
    """The middleware to list right after authentication's in `Litestar(middleware=[...])`."""
    config = CallerRateLimitConfig(
        rate_limit=limit,
        exclude=list(exclude),
        exclude_opt_key=EXEMPT_OPT_KEY,
        identifier_for_request=_identifier,  # what Litestar's own key would use; __call__ reads the scope
        middleware_class=CallerRateLimitMiddleware,
        windows=windows,
    )
    return config.middleware
