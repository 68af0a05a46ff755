"""Whose budget a request spends (each user its own), the fixed windows that count it, and the sign-in limiter."""

import asyncio
from typing import Any, cast

import pytest
from litestar.types import Message

from taskservice.domain.user import Caller, Role
from taskservice.http.limits.caller import CallerLimit
from taskservice.http.limits.sign_in import SignInLimiter
from taskservice.http.limits.stats import RateLimitStats
from taskservice.http.limits.windows import Hit, MemoryWindows, RateLimited
from tests.limits.fakes import MovableClock


async def _noop(message: Message) -> None:
    pass


async def test_each_user_spends_its_own_budget_whichever_key_or_token_it_uses() -> None:
    limit = CallerLimit(("minute", 2), MemoryWindows())
    with_key, with_token = Caller(user_id=7, role=Role.READER, key_id=3), Caller(user_id=7, role=Role.READER)
    await limit.spend(with_key, _noop)
    await limit.spend(with_token, _noop)
    with pytest.raises(RateLimited) as refused:
        await limit.spend(with_key, _noop)
    assert refused.value.retry_after >= 1
    await limit.spend(Caller(user_id=8, role=Role.ADMIN), _noop)  # another user: a budget of its own


async def test_a_counted_request_carries_the_ratelimit_headers() -> None:
    limit = CallerLimit(("minute", 5), MemoryWindows())
    sent: list[dict[str, Any]] = []

    async def send(message: Message) -> None:
        sent.append(dict(message))

    wrapped = await limit.spend(Caller(user_id=7, role=Role.READER), send)
    await wrapped(cast("Message", {"type": "http.response.start", "status": 200, "headers": []}))
    headers = dict(cast("list[tuple[bytes, bytes]]", sent[0]["headers"]))
    assert headers[b"ratelimit-limit"] == b"5"
    assert headers[b"ratelimit-remaining"] == b"4"
    assert 1 <= int(headers[b"ratelimit-reset"]) <= 60


async def test_a_window_counts_hits_per_key_until_it_ends_then_starts_again() -> None:
    clock = MovableClock()
    windows = MemoryWindows(clock=clock)
    assert [await windows.hit("a", 60) for _ in range(3)] == [Hit(1, 60), Hit(2, 60), Hit(3, 60)]
    assert await windows.hit("b", 60) == Hit(1, 60)
    clock.now += 59.5
    assert await windows.hit("a", 60) == Hit(4, 1)  # reset rounds up: never 0 seconds
    clock.now += 0.5
    assert await windows.hit("a", 60) == Hit(1, 60)


async def test_concurrent_hits_in_memory_are_each_counted_once() -> None:
    windows = MemoryWindows()
    hits = await asyncio.gather(*(windows.hit("k", 60) for _ in range(50)))
    assert sorted(hit.count for hit in hits) == list(range(1, 51))


async def test_sign_in_allows_ten_attempts_a_minute_per_address_then_429s_with_retry_after() -> None:
    clock = MovableClock()
    stats = RateLimitStats()
    limiter = SignInLimiter(MemoryWindows(clock=clock), stats=stats)
    for attempt in range(10):
        headers = await limiter.hit("10.0.0.1", f"user{attempt}@example.com")
        assert headers == {"RateLimit-Limit": "10", "RateLimit-Remaining": str(9 - attempt), "RateLimit-Reset": "60"}
    clock.now += 15
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("10.0.0.1", "someone-new@example.com")
    assert refused.value.retry_after == 45
    assert refused.value.headers == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "45",
        "Retry-After": "45",
    }
    assert stats.rejections == 1
    assert await limiter.hit("10.0.0.2", "someone-new@example.com")  # another address: its own budget
    clock.now += 45
    assert await limiter.hit("10.0.0.1", "later@example.com")  # the window has ended


async def test_sign_in_allows_ten_attempts_a_minute_per_email_however_it_is_written() -> None:
    limiter = SignInLimiter(MemoryWindows(), stats=RateLimitStats())
    spellings = ["ann@example.com", " Ann@Example.COM ", "ANN@EXAMPLE.COM"]
    for attempt in range(10):
        await limiter.hit(f"10.0.1.{attempt}", spellings[attempt % 3])
    with pytest.raises(RateLimited):
        await limiter.hit("10.0.2.1", "ann@example.com")
    assert await limiter.hit("10.0.2.1", "bob@example.com")  # that address has made one attempt


async def test_every_attempt_counts_for_both_the_address_and_the_email() -> None:
    limiter = SignInLimiter(MemoryWindows(), limit=2, stats=RateLimitStats())
    await limiter.hit("10.0.0.1", "ann@example.com")
    await limiter.hit("10.0.0.2", "ann@example.com")
    with pytest.raises(RateLimited):  # ann's third
        await limiter.hit("10.0.0.3", "ann@example.com")
    await limiter.hit("10.0.0.1", "bob@example.com")
    with pytest.raises(RateLimited):  # 10.0.0.1's third
        await limiter.hit("10.0.0.1", "carol@example.com")


async def test_an_unknown_address_shares_one_budget() -> None:
    limiter = SignInLimiter(MemoryWindows(), limit=1, stats=RateLimitStats())
    await limiter.hit(None, "ann@example.com")
    with pytest.raises(RateLimited):
        await limiter.hit(None, "bob@example.com")
