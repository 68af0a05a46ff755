"""The process's rate-limit counts, for the metrics: `from taskservice.http.limits.stats import
RATE_LIMIT_STATS` then `RATE_LIMIT_STATS.rejections` and `RATE_LIMIT_STATS.fail_opens`.

Per process (each worker counts its own), monotonic, never reset. These two methods are the only
places that count, so a metrics library's own counters can take over here in one step."""


class RateLimitStats:
    __slots__ = ("fail_opens", "rejections")

    def __init__(self) -> None:
        self.rejections = 0  # requests answered 429, on any limited route
        self.fail_opens = 0  # requests served unlimited because the store could not be reached

    def count_rejection(self) -> None:
        self.rejections += 1

    def count_fail_open(self) -> None:
        self.fail_opens += 1


RATE_LIMIT_STATS = RateLimitStats()
