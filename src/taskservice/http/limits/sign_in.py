"""The fixed limit on `POST /v1/auth/token`: 10 attempts a minute per client address and per email.

The token handler makes one call before it checks the password, and sends the headers it returns:

    rate_limit_headers = await sign_in_limiter.hit(request.client.host if request.client else None, username)

Over the limit it raises `RateLimited`, which http/errors.py answers `429 rate_limited` with
`Retry-After` and the `RateLimit-*` headers. Both counts grow on every attempt, successful or
not: guessing one email's password from many addresses, or many emails' from one address, is
slowed either way.
"""

import hashlib
from typing import Final

from taskservice.domain.user import email_key
from taskservice.http.limits.stats import RATE_LIMIT_STATS, RateLimitStats
from taskservice.http.limits.windows import RateLimited, Windows, rate_limit_headers

SIGN_IN_LIMIT: Final = 10
SIGN_IN_WINDOW_SECONDS: Final = 60


def _email_digest(email: str) -> str:
    # Bounded in size whatever was sent, and no email in plain text in Redis.
    return hashlib.blake2b(email_key(email).encode(), digest_size=16).hexdigest()


class SignInLimiter:
    def __init__(
        self,
        windows: Windows,
        *,
        limit: int = SIGN_IN_LIMIT,
        window: int = SIGN_IN_WINDOW_SECONDS,
        stats: RateLimitStats = RATE_LIMIT_STATS,
    ) -> None:
        self._windows = windows
        self._limit = limit
        self._window = window
        self._stats = stats

    async def hit(self, address: str | None, email: str) -> dict[str, str]:
        """Count one attempt from `address` (None: unknown) for `email` (normalised as users'
        emails are); the `RateLimit-*` headers of the tighter of the two, or `RateLimited`.
        With the store down, the attempt is not counted and no headers are returned."""
        keys = (f"sign-in:address:{address or 'unknown'}", f"sign-in:email:{_email_digest(email)}")
        hits = [hit for key in keys if (hit := await self._windows.hit(key, self._window)) is not None]
        if not hits:
            return {}
        over = [hit for hit in hits if hit.count > self._limit]
        if over:
            # Retry when both allow it again.
            latest = max(over, key=lambda hit: hit.reset_in)
            self._stats.count_rejection()
            raise RateLimited(latest.reset_in, rate_limit_headers(self._limit, latest))
        return rate_limit_headers(self._limit, max(hits, key=lambda hit: hit.count))
