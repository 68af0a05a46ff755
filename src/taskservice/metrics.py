"""The service's Prometheus metrics (docs/operations.md, Metrics): requests per route, the database
pool, the event backlog and rate limiting, exposed by GET /metrics added up over every worker.

Built on prometheus_client directly, not on Litestar's Prometheus plugin, because the plugin's
middleware sits inside Litestar, behind the router: it never sees the router's own 404s and 405s
(a scanner's requests), labels by `path`/`status_code`/`app_name` rather than the `route` and
`status` operators query, keeps its metrics in a class-wide dict on the global registry (so two
apps in one process share them), and per request builds a `Request`, two label dicts and four
label look-ups plus an in-progress gauge (a file write each in multiprocess mode). Here the outer
middleware, which already times the access line, calls `observe` once: one dict look-up of the
cached label children, one counter increment and one histogram observation.

Multiprocess mode (several workers): prometheus_client keeps each process's values in files under
PROMETHEUS_MULTIPROC_DIR, which the launcher sets up before any worker starts (metrics_dir.py),
and a scrape adds every process's files up. Counters and histograms are written as they change;
gauges describe a process's present state, so each worker samples its own every
`GAUGE_SAMPLE_SECONDS` (and the worker answering a scrape samples its own right then); their
`live*` modes drop a worker's figures once it has exited.
"""

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.values import ValueClass

from taskservice.metrics_dir import ENV_VARIABLE, forget_process, forget_stopped_processes

CONTENT_TYPE: Final = CONTENT_TYPE_PLAIN_0_0_4
UNMATCHED: Final = "unmatched"  # the route of a request no route took (404, 405, CORS preflight)
GAUGE_SAMPLE_SECONDS: Final = 1.0
# From a cache hit (~0.3 ms) to the request timeout's default (30 s).
DURATION_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Any other method (HTTP allows any token) is counted as "other": a label value per made-up
# method would let anyone create series without bound.
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# The pool's (size, in use), None without one; each listener's (name, events it has not had yet,
# age in seconds of the oldest of them). Plain tuples: the stores and the dispatcher need not know
# this module.
PoolSource = Callable[[], tuple[int, int] | None]
BacklogSource = Callable[[], Iterable[tuple[str, int, float]]]


def multiprocess_dir() -> Path | None:
    """The directory of every process's values, when prometheus_client runs in multiprocess mode
    (it decides once, at import, from the same variable)."""
    directory = os.environ.get(ENV_VARIABLE)
    return Path(directory) if directory and getattr(ValueClass, "_multiprocess", False) else None


class RateLimitMetrics:
    """The rate limiter's two counters: call `rejected()` for each 429 it answers, `failed_open()`
    for each request it let through because its store (Redis) could not be reached."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._rejections = Counter(
            "rate_limit_rejections_total", "Requests refused with 429 rate_limited.", registry=registry
        )
        self._fail_opens = Counter(
            "rate_limit_fail_open_total",
            "Requests served without a rate-limit check because the limit store was unreachable.",
            registry=registry,
        )

    def rejected(self) -> None:
        self._rejections.inc()

    def failed_open(self) -> None:
        self._fail_opens.inc()


class Metrics:
    """One process's metrics, on a registry of its own (an app per test does not share counts).

    `pool` and `backlog` are read when the gauges are sampled, off the request path.
    """

    def __init__(self, *, pool: PoolSource, backlog: BacklogSource) -> None:
        # Multiprocess mode has no `_created` series; without them the two modes expose the same.
        disable_created_metrics()
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self._pool, self._backlog = pool, backlog
        self._multiprocess_dir = multiprocess_dir()
        self._requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=registry,
        )
        self._durations = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template.",
            ("method", "route"),
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self._pool_size = Gauge(
            "db_pool_size", "Database connections the pool may hold.", registry=registry, multiprocess_mode="livesum"
        )
        self._pool_in_use = Gauge(
            "db_pool_in_use", "Database connections in use.", registry=registry, multiprocess_mode="livesum"
        )
        self._unpublished = Gauge(
            "events_unpublished",
            "Events committed but not yet delivered to a listener.",
            ("listener",),
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._oldest = Gauge(
            "events_oldest_unpublished_age_seconds",
            "Age of the oldest event not yet delivered to a listener (0 when none waits).",
            ("listener",),
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.rate_limits = RateLimitMetrics(registry)
        self._children: dict[tuple[str, str | None, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """Count one answered request. `route`: the route template Litestar matched, None if none did."""
        children = self._children.get((method, route, status))
        if children is None:
            children = self._children_for(method, route, status)
        children[0].inc()
        children[1].observe(seconds)

    def _children_for(self, method: str, route: str | None, status: int) -> tuple[Counter, Histogram]:
        label = method if method in _METHODS else "other"
        path = route or UNMATCHED
        children = (self._requests.labels(label, path, str(status)), self._durations.labels(label, path))
        if method in _METHODS:  # made-up methods are not cached either: the cache stays bounded
            self._children[method, route, status] = children
        return children

    def sample(self) -> None:
        """Set the gauges to this process's present figures."""
        # No pool (the in-memory store): 0 and 0, so that dashboards need no special case.
        size, in_use = self._pool() or (0, 0)
        self._pool_size.set(size)
        self._pool_in_use.set(in_use)
        for listener, unpublished, oldest_age in self._backlog():
            self._unpublished.labels(listener).set(unpublished)
            self._oldest.labels(listener).set(oldest_age)

    def exposition(self) -> bytes:
        """The text a scrape gets: every worker's figures added up, this one's sampled just now."""
        self.sample()
        if self._multiprocess_dir is None:
            return generate_latest(self.registry)
        forget_stopped_processes(self._multiprocess_dir)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(self._multiprocess_dir))  # pyright: ignore[reportUnknownArgumentType]
        return generate_latest(merged)

    async def run_sampler(self) -> None:
        """Keep this worker's gauges current for scrapes answered by another worker (multiprocess
        mode only; a single process samples when scraped). Cancel it to stop."""
        if self._multiprocess_dir is None:
            return
        while True:
            self.sample()
            await asyncio.sleep(GAUGE_SAMPLE_SECONDS)

    def process_exiting(self) -> None:
        """This worker's gauges go: they describe a process that no longer serves."""
        if self._multiprocess_dir is not None:
            with contextlib.suppress(OSError):
                forget_process(os.getpid(), self._multiprocess_dir)
