"""Who is calling: a bearer credential (an API key or an access token) → the `Caller`.

Every protected request asks this, so a verdict is kept for `ttl` seconds in a small cache per
process, keyed by a digest of the credential (never the secret itself): while cached, a request
costs no database round trip. Only successes are cached (an attacker sending random keys fills
nothing) and the cache is bounded. An entry expires after `ttl`, so a deactivated user, a revoked
key or a changed role takes effect within `ttl` seconds on every worker, with no cross-process
invalidation to build; `ttl` 0 asks the store every time. Requests that miss the cache with the
same credential at the same moment share one lookup.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from taskservice.domain.errors import Unauthenticated
from taskservice.domain.user import Caller, User
from taskservice.ports.clock import Clock
from taskservice.ports.credentials import TokenCodec
from taskservice.ports.unit_of_work import UnitOfWork

DEFAULT_CACHE_SIZE: Final = 10_000
# `last_used_at` is written at most this often per key and worker, even with a ttl of 0: a
# credential check must not become a write on every request.
MIN_TOUCH_INTERVAL: Final = timedelta(seconds=1)


class Authenticator:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        codec: TokenCodec,
        clock: Clock,
        *,
        key_digest: Callable[[str], str],
        is_api_key: Callable[[str], bool],
        ttl: float,
        max_entries: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        """`key_digest`: what the store keeps of a key (also the cache key of any credential);
        `is_api_key`: whether a credential has the API-key form (else it is read as a token)."""
        self._unit_of_work = unit_of_work
        self._codec = codec
        self._clock = clock
        self._digest = key_digest
        self._is_api_key = is_api_key
        self._ttl = timedelta(seconds=ttl)
        self._touch_interval = max(self._ttl, MIN_TOUCH_INTERVAL)
        self._max_entries = max_entries
        # digest → (caller, valid until). Insertion order is age order: the oldest go first.
        self._cache: dict[str, tuple[Caller, datetime]] = {}
        self._lookups: dict[str, asyncio.Future[Caller]] = {}

    def __len__(self) -> int:
        """How many verdicts are cached now (never more than `max_entries`)."""
        return len(self._cache)

    async def authenticate(self, credential: str) -> Caller:
        """The caller this credential stands for. Raises `Unauthenticated`."""
        digest = self._digest(credential)
        now = self._clock.now()
        cached = self._cache.get(digest)
        if cached is not None:
            caller, valid_until = cached
            if now < valid_until:
                return caller
            del self._cache[digest]
        lookup = self._lookups.get(digest)
        if lookup is None:
            # One lookup per credential at a time: the requests that arrive while it runs (a
            # client's whole connection pool, when an entry has just expired) wait for its
            # verdict instead of each asking the store and writing `last_used_at`. A task, so
            # that a waiter cancelled (its client gone, its timeout) cancels no one else.
            lookup = asyncio.ensure_future(self._look_up(credential, digest, now))
            self._lookups[digest] = lookup
            lookup.add_done_callback(lambda done: self._finished(digest, done))
        return await asyncio.shield(lookup)

    def _finished(self, digest: str, lookup: "asyncio.Future[Caller]") -> None:
        del self._lookups[digest]
        if not lookup.cancelled():
            lookup.exception()  # handed to every waiter; marked retrieved in case none is left

    async def _look_up(self, credential: str, digest: str, now: datetime) -> Caller:
        if self._is_api_key(credential):
            caller, valid_until = await self._by_key(digest, now)
        else:
            caller, valid_until = await self._by_token(credential)
        self._remember(digest, caller, min(valid_until, now + self._ttl), now)
        return caller

    async def _by_key(self, digest: str, now: datetime) -> tuple[Caller, datetime]:
        async with self._unit_of_work() as work:
            found = await work.api_keys.owner(digest)
            if found is None or not found.user.active:
                raise Unauthenticated()
            used = found.key.last_used_at
            if used is None or now - used >= self._touch_interval:
                # In the unit of work of the lookup: no extra connection, one commit.
                await work.api_keys.touch(found.key.id, now)
                await work.commit()
        return _caller(found.user, found.key.id), now + self._ttl

    async def _by_token(self, token: str) -> tuple[Caller, datetime]:
        claims = self._codec.read(token)
        if claims is None:
            raise Unauthenticated()
        async with self._unit_of_work() as work:
            user = await work.users.get(claims.user_id)
        if user is None or not user.active:
            raise Unauthenticated()
        # The role is the user's current one, not the token's: a demotion applies within the ttl.
        # The token's own expiry bounds how long it is cached.
        return _caller(user, None), claims.expires_at

    def _remember(self, digest: str, caller: Caller, valid_until: datetime, now: datetime) -> None:
        if valid_until <= now:
            return
        if len(self._cache) >= self._max_entries:
            self._evict(now)
        self._cache[digest] = (caller, valid_until)

    def _evict(self, now: datetime) -> None:
        """Drop the expired entries; if the cache is still full, the oldest half."""
        for digest in [d for d, (_, until) in self._cache.items() if until <= now]:
            del self._cache[digest]
        if len(self._cache) >= self._max_entries:
            for digest in list(self._cache)[: max(1, len(self._cache) // 2)]:
                del self._cache[digest]


def _caller(user: User, key_id: int | None) -> Caller:
    return Caller(user_id=user.id, role=user.role, key_id=key_id)
