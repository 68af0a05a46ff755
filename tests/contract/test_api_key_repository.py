"""One contract for every `ApiKeyRepository`: in-memory, SQLite file and PostgreSQL behave alike.

Keys are stored and found by the digest of their secret; the secret itself never reaches a store.
"""

from datetime import datetime, timedelta

import pytest

from taskservice.domain.errors import UserNotFound
from taskservice.domain.user import ApiKey, Role
from taskservice.ports.unit_of_work import Store
from taskservice.ports.users import KeyOwner
from tests.contract.people import add_key, add_user, change_user, keys_of, owner
from tests.fakes import T0


async def get_key(store: Store, key_id: int) -> ApiKey | None:
    async with store.unit_of_work() as work:
        return await work.api_keys.get(key_id)


async def remove_key(store: Store, key_id: int) -> ApiKey | None:
    async with store.unit_of_work() as work:
        key = await work.api_keys.remove(key_id)
        await work.commit()
    return key


async def touch(store: Store, key_id: int, at: datetime) -> None:
    async with store.unit_of_work() as work:
        await work.api_keys.touch(key_id, at)
        await work.commit()


class TestAddAndGet:
    async def test_stores_every_field_and_reads_it_back_exactly(self, store: Store) -> None:
        user = await add_user(store)
        key = await add_key(store, user.id, "d" * 64, name="CI runner ✓", prefix="tsk_AbC1", at=T0)
        assert key == ApiKey(
            id=key.id, user_id=user.id, name="CI runner ✓", prefix="tsk_AbC1", created_at=T0, last_used_at=None
        )
        assert await get_key(store, key.id) == key

    async def test_assigns_positive_increasing_ids_never_reusing_a_removed_ones(self, store: Store) -> None:
        user = await add_user(store)
        first = await add_key(store, user.id, "one")
        second = await add_key(store, user.id, "two")
        await remove_key(store, second.id)
        third = await add_key(store, user.id, "three")
        assert 1 <= first.id < second.id < third.id

    async def test_a_key_of_no_user_is_refused_and_nothing_is_stored(self, store: Store) -> None:
        user = await add_user(store)
        with pytest.raises(UserNotFound):
            await add_key(store, user.id + 1000, "orphan")
        assert await owner(store, "orphan") is None
        assert await keys_of(store, user.id + 1000) == []

    async def test_get_returns_none_for_an_unknown_id(self, store: Store) -> None:
        assert await get_key(store, 1) is None
        assert await get_key(store, 2**63 - 1) is None


class TestListFor:
    async def test_lists_only_the_users_keys_ordered_by_id(self, store: Store) -> None:
        ada, bob = await add_user(store), await add_user(store)
        a1 = await add_key(store, ada.id, "a1", name="zeta")
        b1 = await add_key(store, bob.id, "b1")
        a2 = await add_key(store, ada.id, "a2", name="alpha")
        assert await keys_of(store, ada.id) == [a1, a2]
        assert await keys_of(store, bob.id) == [b1]
        assert await keys_of(store, bob.id + 1000) == []


class TestOwner:
    async def test_finds_the_key_and_its_user_by_digest(self, store: Store) -> None:
        ada, bob = await add_user(store, role=Role.ADMIN), await add_user(store)
        ada_key = await add_key(store, ada.id, "digest-ada")
        bob_key = await add_key(store, bob.id, "digest-bob")
        assert await owner(store, "digest-ada") == KeyOwner(key=ada_key, user=ada)
        assert await owner(store, "digest-bob") == KeyOwner(key=bob_key, user=bob)

    @pytest.mark.parametrize("digest", ["unknown", "DIGEST-ADA", "digest-ad", "digest-ada ", ""])
    async def test_only_the_exact_digest_matches(self, store: Store, digest: str) -> None:
        await add_key(store, (await add_user(store)).id, "digest-ada")
        assert await owner(store, digest) is None

    async def test_returns_an_inactive_user_too_and_its_current_state(self, store: Store) -> None:
        user = await add_user(store)
        key = await add_key(store, user.id, "digest")
        inactive = await change_user(store, user, T0 + timedelta(seconds=1), active=False, role=Role.READER)
        assert await owner(store, "digest") == KeyOwner(key=key, user=inactive)


class TestRemoveAndTouch:
    async def test_remove_returns_the_key_then_none_and_its_digest_no_longer_matches(self, store: Store) -> None:
        user = await add_user(store)
        key = await add_key(store, user.id, "revoked")
        kept = await add_key(store, user.id, "kept")
        assert await remove_key(store, key.id) == key
        assert await remove_key(store, key.id) is None
        assert await get_key(store, key.id) is None
        assert await owner(store, "revoked") is None
        assert await keys_of(store, user.id) == [kept]

    async def test_a_removed_keys_digest_may_be_stored_again(self, store: Store) -> None:
        user = await add_user(store)
        await remove_key(store, (await add_key(store, user.id, "again")).id)
        again = await add_key(store, user.id, "again")
        assert await owner(store, "again") == KeyOwner(key=again, user=user)

    async def test_touch_records_the_last_use(self, store: Store) -> None:
        user = await add_user(store)
        key = await add_key(store, user.id, "used")
        other = await add_key(store, user.id, "unused")
        for seconds in (1, 2):
            await touch(store, key.id, T0 + timedelta(seconds=seconds))
        stored = await get_key(store, key.id)
        assert stored is not None
        assert stored.last_used_at == T0 + timedelta(seconds=2)
        assert (stored.id, stored.name, stored.created_at) == (key.id, key.name, key.created_at)
        assert await get_key(store, other.id) == other
        found = await owner(store, "used")
        assert found is not None
        assert found.key == stored

    async def test_touching_a_missing_key_is_no_error(self, store: Store) -> None:
        await touch(store, 2**63 - 1, T0)
        assert await get_key(store, 2**63 - 1) is None
