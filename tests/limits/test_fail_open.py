"""A store that cannot be reached: requests are served, warned about once a minute, counted, and
the store is not asked again on every request."""

import asyncio

from structlog.testing import capture_logs
from structlog.typing import EventDict

from taskservice.http.limits.fail_open import FailOpen
from taskservice.http.limits.stats import RateLimitStats
from taskservice.http.limits.windows import Hit
from tests.limits.fakes import FlakyWindows, MovableClock


def warnings(logs: list[EventDict]) -> list[EventDict]:
    return [line for line in logs if line["event"] == "rate_limit_store_unavailable"]


async def test_a_store_that_is_down_serves_every_request_with_one_warning_and_counts_each() -> None:
    clock, stats, store = MovableClock(), RateLimitStats(), FlakyWindows()
    windows = FailOpen(store, backoff=1.0, max_backoff=8.0, stats=stats, clock=clock)
    assert await windows.hit("k", 60) == Hit(1, 60)
    store.down = True
    with capture_logs() as logs:
        results = [await windows.hit("k", 60) for _ in range(50)]
    assert results == [None] * 50
    assert stats.fail_opens == 50
    assert store.calls == 2  # one success, then one failed attempt: the other 49 waited out the backoff
    [warning] = warnings(logs)
    assert warning["log_level"] == "warning"
    assert warning["error"] == "ConnectionRefusedError: connection refused"


async def test_the_store_is_tried_again_after_a_doubling_backoff_and_warned_about_once_a_minute() -> None:
    clock, stats, store = MovableClock(), RateLimitStats(), FlakyWindows()
    windows = FailOpen(store, backoff=1.0, max_backoff=4.0, stats=stats, clock=clock)
    store.down = True
    with capture_logs() as logs:
        attempts: list[int] = []
        for _ in range(40):  # 40 seconds, one request a second
            await windows.hit("k", 60)
            attempts.append(store.calls)
            clock.now += 1.0
        # Tried at 0, 1, 3, 7, then every 4 seconds to 39 (the backoff doubles up to max_backoff).
        assert sorted(set(attempts)) == list(range(1, 13))
        assert len(warnings(logs)) == 1
        clock.now += 21.0  # a minute after the first warning
        await windows.hit("k", 60)
        assert len(warnings(logs)) == 2
        assert warnings(logs)[1]["served_unlimited"] == 40
    assert stats.fail_opens == 41


async def test_counting_resumes_when_the_store_is_back_and_the_backoff_starts_over() -> None:
    clock, stats, store = MovableClock(), RateLimitStats(), FlakyWindows()
    windows = FailOpen(store, backoff=1.0, max_backoff=30.0, stats=stats, clock=clock)
    store.down = True
    for _ in range(3):
        assert await windows.hit("k", 60) is None
        clock.now += 10.0
    store.down = False
    with capture_logs() as logs:
        assert await windows.hit("k", 60) == Hit(1, 60)
    assert [line["event"] for line in logs] == ["rate_limit_store_recovered"]
    store.down = True
    calls = store.calls
    await windows.hit("k", 60)
    clock.now += 1.0
    await windows.hit("k", 60)
    assert store.calls == calls + 2  # the backoff is back to 1 second


async def test_concurrent_requests_on_a_store_that_is_up_are_all_counted() -> None:
    stats, store = RateLimitStats(), FlakyWindows()
    windows = FailOpen(store, stats=stats)
    hits = await asyncio.gather(*(windows.hit("k", 60) for _ in range(20)))
    assert sorted(hit.count for hit in hits if hit is not None) == list(range(1, 21))
    assert stats.fail_opens == 0


async def test_while_the_store_is_down_one_request_at_a_time_tries_it() -> None:
    clock, stats, store = MovableClock(), RateLimitStats(), FlakyWindows()
    windows = FailOpen(store, stats=stats, clock=clock)
    store.down = True
    await windows.hit("k", 60)
    clock.now += 5.0  # past the backoff
    calls = store.calls
    assert await asyncio.gather(*(windows.hit("k", 60) for _ in range(20))) == [None] * 20
    assert store.calls == calls + 1
