"""Everything the rate limits need, built from the values of `RATE_LIMIT` and `RATE_LIMIT_STORE`
(the composition root reads the settings and calls `build_rate_limits`)."""

from typing import Final, NamedTuple

from taskservice.http.limits.caller import CallerLimit, Limit
from taskservice.http.limits.fail_open import FailOpen
from taskservice.http.limits.sign_in import SignInLimiter
from taskservice.http.limits.windows import MemoryWindows, Windows

MEMORY: Final = "memory"
# A Redis on the same network answers in well under a millisecond; one that takes this long to
# accept a connection or answer a command is treated as down (and the request served).
REDIS_TIMEOUT_SECONDS: Final = 0.25


class RateLimits(NamedTuple):
    caller: CallerLimit | None  # spent by the authentication middleware; None when off
    sign_in: SignInLimiter  # for the token handler (sign_in.py)
    windows: Windows  # the counters, closed at shutdown


def build_rate_limits(
    limit: Limit | None,
    store: str,
    *,
    redis_timeout: float = REDIS_TIMEOUT_SECONDS,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
    redis_namespace: str | None = None,
) -> RateLimits:
    """`limit`: None turns the caller limit off (sign-in keeps its own). `store`: `memory`, or a
    Redis URL, which is then wrapped to fail open with `backoff` (seconds, doubling up to
    `max_backoff`) between attempts while it is down."""
    windows: Windows
    if store == MEMORY:
        windows = MemoryWindows()
    else:
        # Only now: redis-py's import is not free (redis_windows.py says why).
        from taskservice.http.limits.redis_windows import REDIS_ERRORS, REDIS_NAMESPACE, redis_windows  # noqa: PLC0415

        inner = redis_windows(store, timeout=redis_timeout, namespace=redis_namespace or REDIS_NAMESPACE)
        windows = FailOpen(inner, backoff=backoff, max_backoff=max_backoff, errors=REDIS_ERRORS)
    caller = None if limit is None else CallerLimit(limit, windows)
    return RateLimits(caller, SignInLimiter(windows), windows)
