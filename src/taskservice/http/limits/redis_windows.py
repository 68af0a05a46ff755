"""The Redis counters (`RATE_LIMIT_STORE=redis://…`): shared by every worker and instance.

Imported only when that store is configured (limits/setup.py): redis-py loads OpenTelemetry's SDK
at import when it is installed, which a service with tracing off must not pay for.
"""

import math
from typing import Final, cast

from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from taskservice.http.limits.windows import Hit

REDIS_NAMESPACE: Final = "taskservice_rate_limit"
# What an unreachable or failing Redis raises: redis-py's errors (its ConnectionError and
# TimeoutError included), and the OS's for a socket that could not even be made.
REDIS_ERRORS: Final = (RedisError, OSError)

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


def redis_windows(url: str, *, timeout: float, namespace: str = REDIS_NAMESPACE) -> RedisWindows:
    """Counters on the Redis at `url`. A connect and a command each give up after `timeout`
    seconds, without retries: a Redis that is down costs a request that much at most, and
    FailOpen then stops asking for a while. Nothing connects before the first hit. `namespace`
    prefixes every key (tests keep their runs apart with their own)."""
    # redis-py leaves from_url's **kwargs unannotated.
    client = Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    store = RedisStore(client, namespace=namespace, handle_client_shutdown=True)
    return RedisWindows(store, client)
