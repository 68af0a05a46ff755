"""Fixed-window counters over Litestar's stores: one atomic step per request counts the hit and
reads when its window ends.

Why not the counting of Litestar's `RateLimitMiddleware`: it reads a JSON list of the timestamp of
every request in the window with `Store.get` and writes it back with `Store.set`. That is O(limit)
per request (6,000 entries at the default limit), not atomic across the workers sharing Redis (two
that read the same list lose a hit: the limit multiplies), and serialised in each process by one
lock held across the Redis round trip. Litestar's `Store` interface has no increment, so the Redis
counter runs one Lua script (INCR + PEXPIRE) on its `RedisStore`'s client; the memory counter is
a dict (`MemoryWindows` says why not Litestar's `MemoryStore`).
"""

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from litestar.exceptions import TooManyRequestsException

# Expired windows of callers that never came back are dropped this often.
_SWEEP_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class Hit:
    count: int  # hits in this window so far, this one included
    reset_in: int  # whole seconds until the window ends, at least 1


class Windows(Protocol):
    async def hit(self, key: str, window: int) -> Hit | None:
        """Count one hit on `key` in its window of `window` seconds (the first hit opens it).
        None: not counted, the store being unreachable (the caller serves: fail open)."""
        ...

    async def aclose(self) -> None: ...


class RateLimited(TooManyRequestsException):
    """Over a limit: http/errors.py answers `429 rate_limited` with these headers and
    `Retry-After`. A Litestar `TooManyRequestsException`, so Litestar's handling still applies."""

    def __init__(self, retry_after: int, headers: Mapping[str, str]) -> None:
        super().__init__(headers={**headers, "Retry-After": str(retry_after)})
        self.retry_after = retry_after


def rate_limit_headers(limit: int, hit: Hit) -> dict[str, str]:
    """`RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) after `hit`, as Litestar writes them."""
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - hit.count)),
        "RateLimit-Reset": str(hit.reset_in),
    }


class MemoryWindows:
    """Counts in this process only (each worker has its own), in a dict.

    Not Litestar's `MemoryStore`: it takes an anyio lock that yields to the event loop on every
    `get` and every `set`, so a count (a get and a set, which must not interleave with another
    request's) took two loop turns and a second lock around both. With it, the limit cost a GET
    75–110 µs of CPU on top of the ~95 µs of the rest (bench/inprocess.py, docs/performance.md);
    counting in a dict, with no await at all, is atomic by construction and costs a few µs.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._counts: dict[str, tuple[int, float]] = {}  # key → (hits, when the window ends)
        self._clock = clock
        self._next_sweep = clock() + _SWEEP_SECONDS

    async def hit(self, key: str, window: int) -> Hit:
        now = self._clock()
        count, ends = self._counts.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + window
            if now >= self._next_sweep:  # windows of callers that never came back
                self._next_sweep = now + _SWEEP_SECONDS
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        self._counts[key] = (count + 1, ends)
        return Hit(count + 1, max(1, math.ceil(ends - now)))

    async def aclose(self) -> None:
        self._counts.clear()
