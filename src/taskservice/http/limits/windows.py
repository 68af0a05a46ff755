"""Fixed-window counters over Litestar's stores: one atomic step per request counts the hit and
reads when its window ends.

Why not the counting of Litestar's `RateLimitMiddleware`: it reads a JSON list of the timestamp of
every request in the window with `Store.get` and writes it back with `Store.set`. That is O(limit)
per request (6,000 entries at the default limit), not atomic across the workers sharing Redis (two
that read the same list lose a hit: the limit multiplies), and serialised in each process by one
lock held across the Redis round trip. Litestar's `Store` interface has no increment, so each
counter here takes the one step its store can make atomic: a Lua script (INCR + PEXPIRE) on the
`RedisStore`'s client, a short lock around get + set on the `MemoryStore`.
"""

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol, cast

from litestar.exceptions import TooManyRequestsException
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

# Expired windows of callers that never came back are dropped this often (MemoryStore drops an
# expired key only when it is read again).
_SWEEP_SECONDS: Final = 60.0
REDIS_NAMESPACE: Final = "taskservice_rate_limit"


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
    """Counts in this process only (each worker has its own), in a Litestar `MemoryStore`."""

    def __init__(self, store: MemoryStore | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store or MemoryStore()
        self._clock = clock
        # MemoryStore's lock yields to the loop on every get and set: this one makes the pair one step.
        self._lock = asyncio.Lock()
        self._next_sweep = clock() + _SWEEP_SECONDS

    async def hit(self, key: str, window: int) -> Hit:
        now = self._clock()
        async with self._lock:
            stored = await self._store.get(key)
            count, ends = (int(stored.split(b" ")[0]), float(stored.split(b" ")[1])) if stored else (0, 0.0)
            if ends <= now:
                count, ends = 0, now + window
            count += 1
            await self._store.set(key, f"{count} {ends!r}", expires_in=math.ceil(ends - now))
        if now >= self._next_sweep:
            self._next_sweep = now + _SWEEP_SECONDS
            await self._store.delete_expired()
        return Hit(count, max(1, math.ceil(ends - now)))

    async def aclose(self) -> None:
        await self._store.delete_all()


# Atomic in Redis: the first INCR of a key creates it without an expiry, which PEXPIRE then sets.
_HIT_SCRIPT: Final = b"""
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}
"""


class RedisWindows:
    """Counts shared by every worker and instance on one Redis, in a Litestar `RedisStore`'s
    namespace, with one script call (one round trip) per hit. Errors propagate: wrap in FailOpen."""

    def __init__(self, store: RedisStore, client: Redis) -> None:
        self._store = store
        self._prefix = f"{store.namespace}:"
        # redis-py runs it by EVALSHA and loads it again if the server lost it (a restart).
        self._script = client.register_script(_HIT_SCRIPT)

    async def hit(self, key: str, window: int) -> Hit:
        count, ttl_ms = cast("list[int]", await self._script(keys=[self._prefix + key], args=[window * 1000]))
        return Hit(int(count), max(1, math.ceil(int(ttl_ms) / 1000)))

    async def aclose(self) -> None:
        await self._store.__aexit__(None, None, None)  # closes the client and its pool


def redis_windows(url: str, *, timeout: float) -> RedisWindows:
    """Counters on the Redis at `url`. A connect and a command each give up after `timeout`
    seconds, without retries: a Redis that is down costs a request that much at most, and
    FailOpen then stops asking for a while. Nothing connects before the first hit."""
    # redis-py leaves from_url's **kwargs unannotated.
    client = Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    store = RedisStore(client, namespace=REDIS_NAMESPACE, handle_client_shutdown=True)
    return RedisWindows(store, client)
