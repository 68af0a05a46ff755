"""The process's rate-limit counts, for the metrics: `from taskservice.http.limits.stats import
RATE_LIMIT_STATS` then `RATE_LIMIT_STATS.rejections` and `RATE_LIMIT_STATS.fail_opens`.

Per process (each worker counts its own), monotonic, never reset. These two methods are the only
places that count; each also tells the metrics (`report_to`, wired by the composition root), whose
counters add up every worker's."""

from collections.abc import Callable


def _nothing() -> None:
    return None


class RateLimitStats:
    __slots__ = ("_on_fail_open", "_on_rejection", "fail_opens", "rejections")

    def __init__(self) -> None:
        self.rejections = 0  # requests answered 429, on any limited route
        self.fail_opens = 0  # requests served unlimited because the store could not be reached
        self._on_rejection: Callable[[], None] = _nothing
        self._on_fail_open: Callable[[], None] = _nothing

    def report_to(self, on_rejection: Callable[[], None], on_fail_open: Callable[[], None]) -> None:
        """Also count each rejection and fail-open there (metrics.RateLimitMetrics)."""
        self._on_rejection, self._on_fail_open = on_rejection, on_fail_open

    def count_rejection(self) -> None:
        self.rejections += 1
        self._on_rejection()

    def count_fail_open(self) -> None:
        self.fail_opens += 1
        self._on_fail_open()


RATE_LIMIT_STATS = RateLimitStats()
