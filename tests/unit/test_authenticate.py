"""The authenticator over the in-memory store, with a controlled clock: what a key or a token
stands for, and how long a verdict lasts (AUTH_CACHE_TTL)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from taskservice.adapters.credentials import JwtCodec, key_digest, looks_like_api_key, new_api_key
from taskservice.adapters.memory import MemoryStore, MemoryUnitOfWork
from taskservice.domain.errors import Unauthenticated
from taskservice.domain.user import Caller, Role
from taskservice.ports.credentials import AccessToken, TokenClaims, TokenCodec
from taskservice.usecases.authenticate import Authenticator
from tests.auth import add_key, add_user, change_user, revoke
from tests.fakes import T0, FixedClock

SECRET = "s" * 32
TTL = 5


class CountingStore(MemoryStore):
    """A memory store that counts the units of work opened on it (the database round trips)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = 0

    def unit_of_work(self) -> MemoryUnitOfWork:
        self.opened += 1
        return super().unit_of_work()


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def clock() -> FixedClock:
    # Now, not T0: PyJWT checks a token's expiry against the real time.
    return FixedClock(datetime.now(UTC))


class FixedClaims:
    """A codec that reads every token as the claims it was given (to set a token's expiry)."""

    def __init__(self, claims: TokenClaims) -> None:
        self.claims: TokenClaims | None = claims

    def issue(self, caller: Caller, now: datetime) -> AccessToken:
        raise NotImplementedError

    def read(self, token: str) -> TokenClaims | None:  # noqa: ARG002 - any token
        return self.claims


def authenticator(
    store: MemoryStore,
    clock: FixedClock,
    ttl: float = TTL,
    max_entries: int = 100,
    codec: TokenCodec | None = None,
) -> Authenticator:
    return Authenticator(
        store.unit_of_work,
        codec or JwtCodec(SECRET, 900),
        clock,
        key_digest=key_digest,
        is_api_key=looks_like_api_key,
        ttl=ttl,
        max_entries=max_entries,
    )


async def refused(auth: Authenticator, credential: str) -> bool:
    try:
        await auth.authenticate(credential)
    except Unauthenticated:
        return True
    return False


async def test_a_key_stands_for_its_user_and_records_its_use(store: CountingStore, clock: FixedClock) -> None:
    user, key = await add_user(store, Role.WRITER)
    caller = await authenticator(store, clock).authenticate(key)
    async with store.unit_of_work() as work:
        [stored] = await work.api_keys.list_for(user.id)
    assert caller == Caller(user_id=user.id, role=Role.WRITER, key_id=stored.id)
    assert stored.last_used_at == clock.now()


async def test_a_cached_verdict_costs_no_store_access(store: CountingStore, clock: FixedClock) -> None:
    _, key = await add_user(store, Role.READER)
    auth = authenticator(store, clock)
    await auth.authenticate(key)
    opened = store.opened
    for _ in range(5):
        clock.advance(timedelta(seconds=0.9))
        await auth.authenticate(key)
    assert store.opened == opened


async def test_revocation_takes_effect_once_the_ttl_has_passed(store: CountingStore, clock: FixedClock) -> None:
    user, _ = await add_user(store, Role.READER)
    key_id, key = await add_key(store, user.id)
    auth = authenticator(store, clock)
    await auth.authenticate(key)
    await revoke(store, key_id)
    clock.advance(timedelta(seconds=TTL - 1))
    assert not await refused(auth, key)  # still cached: the contract allows up to the ttl
    clock.advance(timedelta(seconds=1))
    assert await refused(auth, key)


async def test_deactivation_refuses_keys_and_tokens_within_the_ttl(store: CountingStore, clock: FixedClock) -> None:
    user, key = await add_user(store, Role.WRITER)
    auth = authenticator(store, clock)
    token = JwtCodec(SECRET, 900).issue(Caller(user_id=user.id, role=user.role), clock.now()).token
    await auth.authenticate(key)
    await auth.authenticate(token)
    await change_user(store, user.id, active=False)
    clock.advance(timedelta(seconds=TTL))
    assert await refused(auth, key)
    assert await refused(auth, token)


async def test_the_role_is_the_users_current_one(store: CountingStore, clock: FixedClock) -> None:
    user, key = await add_user(store, Role.ADMIN)
    auth = authenticator(store, clock)
    token = JwtCodec(SECRET, 900).issue(Caller(user_id=user.id, role=Role.ADMIN), clock.now()).token
    assert (await auth.authenticate(token)).role is Role.ADMIN
    await change_user(store, user.id, role="reader")
    clock.advance(timedelta(seconds=TTL))
    assert (await auth.authenticate(token)).role is Role.READER
    assert (await auth.authenticate(key)).role is Role.READER


async def test_with_a_ttl_of_zero_every_request_asks_the_store(store: CountingStore, clock: FixedClock) -> None:
    user, _ = await add_user(store, Role.READER)
    key_id, key = await add_key(store, user.id)
    auth = authenticator(store, clock, ttl=0)
    await auth.authenticate(key)
    await revoke(store, key_id)
    assert await refused(auth, key)
    assert len(auth) == 0


async def test_refusals_are_not_cached(store: CountingStore, clock: FixedClock) -> None:
    user, _ = await add_user(store, Role.READER)
    auth = authenticator(store, clock)
    key, prefix, digest = new_api_key()
    assert await refused(auth, key)
    async with store.unit_of_work() as work:
        await work.api_keys.add(user.id, "late", prefix, digest, T0)
        await work.commit()
    assert (await auth.authenticate(key)).user_id == user.id


async def test_random_keys_grow_nothing_and_the_cache_is_bounded(store: CountingStore, clock: FixedClock) -> None:
    auth = authenticator(store, clock, max_entries=4)
    for _ in range(50):
        assert await refused(auth, new_api_key()[0])
    assert len(auth) == 0
    keys = [(await add_user(store, Role.READER))[1] for _ in range(10)]
    for key in keys:
        await auth.authenticate(key)
    assert 0 < len(auth) <= 4
    assert all([(await auth.authenticate(key)).role is Role.READER for key in keys])


async def test_a_token_is_not_cached_past_its_expiry(store: CountingStore, clock: FixedClock) -> None:
    user, _ = await add_user(store, Role.READER)
    expires_at = clock.now() + timedelta(seconds=2)
    claims = TokenClaims(
        user_id=user.id,
        role=user.role.value,
        token_id="t",
        expires_at=expires_at,
    )
    codec = FixedClaims(claims)
    auth = authenticator(store, clock, ttl=60, codec=codec)
    await auth.authenticate("a.token")
    codec.claims = None  # from now on the codec refuses it (it has expired)
    clock.advance(timedelta(seconds=1))
    assert not await refused(auth, "a.token")
    clock.advance(timedelta(seconds=1))
    assert await refused(auth, "a.token")


@pytest.mark.parametrize(
    "credential",
    ["tsk_unknown", "not-a-token", JwtCodec("o" * 32, 900).issue(Caller(user_id=1, role=Role.ADMIN), T0).token],
)
async def test_unknown_and_foreign_credentials_are_refused(
    store: CountingStore, clock: FixedClock, credential: str
) -> None:
    await add_user(store, Role.ADMIN)
    assert await refused(authenticator(store, clock), credential)


async def test_last_used_at_is_written_at_most_once_a_ttl(store: CountingStore, clock: FixedClock) -> None:
    user, key = await add_user(store, Role.READER)
    auth = authenticator(store, clock, ttl=TTL)
    first = clock.now()
    await auth.authenticate(key)
    clock.advance(timedelta(seconds=TTL - 1))
    await auth.authenticate(key)
    async with store.unit_of_work() as work:
        [stored] = await work.api_keys.list_for(user.id)
    assert stored.last_used_at == first
    clock.advance(timedelta(seconds=1))
    await auth.authenticate(key)
    async with store.unit_of_work() as work:
        [stored] = await work.api_keys.list_for(user.id)
    assert stored.last_used_at == clock.now()


async def test_concurrent_requests_with_one_uncached_key_share_one_lookup(
    store: CountingStore, clock: FixedClock
) -> None:
    user, key = await add_user(store, Role.READER)
    auth = authenticator(store, clock)
    opened = store.opened
    callers = await asyncio.gather(*(auth.authenticate(key) for _ in range(20)))
    assert {c.user_id for c in callers} == {user.id}
    assert store.opened == opened + 1
    refusals = await asyncio.gather(*(auth.authenticate("tsk_unknown") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, Unauthenticated) for r in refusals)
    assert store.opened == opened + 2


async def test_a_cancelled_caller_does_not_cancel_the_others(store: CountingStore, clock: FixedClock) -> None:
    _, key = await add_user(store, Role.READER)
    auth = authenticator(store, clock)
    async with store.unit_of_work() as work:
        await work.lock()  # the store is busy: the lookup waits
        first = asyncio.ensure_future(auth.authenticate(key))
        second = asyncio.ensure_future(auth.authenticate(key))
        await asyncio.sleep(0)
        first.cancel()
    assert (await second).role is Role.READER
    with pytest.raises(asyncio.CancelledError):
        await first
