"""Serve when the counters' store is down: a rate limit must never take the service with it."""

import time
from collections.abc import Callable
from typing import Final

import structlog

from taskservice.http.limits.stats import RATE_LIMIT_STATS, RateLimitStats
from taskservice.http.limits.windows import Hit, Windows

WARN_EVERY_SECONDS: Final = 60.0
LOGGER_NAME: Final = "taskservice.rate_limit"


class FailOpen:
    """`Windows` that answer None (not counted: serve) instead of raising when the store fails.

    After a failure the store is left alone for `backoff` seconds, doubling up to `max_backoff`
    while it keeps failing: requests meanwhile are served at once, without a connection attempt
    each. The first success counts again and resets the backoff. A warning is logged at the
    first failure and then at most once every `WARN_EVERY_SECONDS`, with how many requests were
    served unlimited since the last one; every such request is counted in `stats.fail_opens`.
    """

    def __init__(
        self,
        inner: Windows,
        *,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        stats: RateLimitStats = RATE_LIMIT_STATS,
        clock: Callable[[], float] = time.monotonic,
        errors: tuple[type[Exception], ...] = (OSError,),
    ) -> None:
        self._inner = inner
        self._errors = errors  # what the store raises when it is down (redis_windows.REDIS_ERRORS)
        self._first_backoff = self._backoff = backoff
        self._max_backoff = max_backoff
        self._stats = stats
        self._clock = clock
        self._retry_at = 0.0  # before this, the store is not asked
        self._warned_at: float | None = None
        self._unlimited_since_warning = 0
        self._down = False

    async def hit(self, key: str, window: int) -> Hit | None:
        now = self._clock()
        if now < self._retry_at:
            self._served_open(now, None)
            return None
        if self._down:
            # This request probes the store; those arriving while it waits do not try too. (While
            # the store is up, concurrent requests all go to it: a hang costs each the timeout.)
            self._retry_at = now + self._backoff
        try:
            hit = await self._inner.hit(key, window)
        except self._errors as error:
            now = self._clock()
            self._retry_at = now + self._backoff
            self._backoff = min(self._backoff * 2, self._max_backoff)
            self._down = True
            self._served_open(now, error)
            return None
        self._retry_at = 0.0
        self._backoff = self._first_backoff
        if self._down:
            self._down = False
            structlog.get_logger(LOGGER_NAME).info("rate_limit_store_recovered")
        return hit

    async def aclose(self) -> None:
        await self._inner.aclose()

    def _served_open(self, now: float, error: Exception | None) -> None:
        self._stats.count_fail_open()
        self._unlimited_since_warning += 1
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            # Looked up when written (rarely): logging as configured now, a test's capture included.
            structlog.get_logger(LOGGER_NAME).warning(
                "rate_limit_store_unavailable",
                error=None if error is None else f"{type(error).__name__}: {error}",
                served_unlimited=self._unlimited_since_warning,
                retry_in_seconds=round(max(0.0, self._retry_at - now), 3),
            )
            self._warned_at = now
            self._unlimited_since_warning = 0
