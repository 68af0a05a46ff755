"""One contract for every `UserRepository`: in-memory, SQLite file and PostgreSQL behave alike.

The `store` fixture gives a fresh, empty, migrated store of each kind; each helper call in
tests/contract/people.py is one committed unit of work.
"""

import asyncio
from datetime import timedelta

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from taskservice.domain.errors import DuplicateUser
from taskservice.domain.user import Role, User, UserDraft, email_key
from taskservice.ports.unit_of_work import Store
from tests.contract.people import (
    add_key,
    add_user,
    change_user,
    email_variants,
    get_user,
    hashed,
    keys_of,
    owner,
    sign_in_record,
    unique,
    users_page,
)
from tests.fakes import T0


class TestAdd:
    async def test_stores_every_field_and_reads_it_back_exactly(self, store: Store) -> None:
        user = await add_user(store, "Ada.L@Example.com", name="Ada ß 🚀", role=Role.ADMIN, password_hash=hashed("ada"))
        assert user == User(
            id=user.id,
            email="Ada.L@Example.com",
            name="Ada ß 🚀",
            role=Role.ADMIN,
            active=True,
            created_at=T0,
            updated_at=T0,
        )
        assert await get_user(store, user.id) == user
        stored = await get_user(store, user.id)
        assert stored is not None
        assert stored.created_at.utcoffset() == timedelta(0)

    async def test_assigns_positive_increasing_ids(self, store: Store) -> None:
        ids = [(await add_user(store)).id for _ in range(3)]
        assert ids[0] >= 1
        assert ids == sorted(set(ids))

    @pytest.mark.parametrize("role", list(Role))
    async def test_stores_each_role(self, store: Store, role: Role) -> None:
        user = await add_user(store, role=role)
        assert await get_user(store, user.id) == user

    async def test_get_returns_none_for_an_unknown_id(self, store: Store) -> None:
        assert await get_user(store, 1) is None
        assert await get_user(store, 2**63 - 1) is None

    # Bounded whatever the Hypothesis profile: each example writes to a real database, on every store.
    @settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
    @given(emails=email_variants())
    async def test_the_same_email_in_other_cases_or_with_outer_whitespace_is_a_duplicate(
        self, store: Store, emails: tuple[str, str]
    ) -> None:
        email, variant = emails
        user = await add_user(store, email)
        before = await users_page(store)
        with pytest.raises(DuplicateUser):
            await add_user(store, variant)
        assert await users_page(store) == before
        record = await sign_in_record(store, email_key(variant))
        assert record is not None
        assert record.user == user

    async def test_emails_that_differ_inside_are_different_users(self, store: Store) -> None:
        for email in ("a.b@x.io", "ab@x.io", "a@b.x.io", "é@x.io", "e\u0301@x.io"):
            await add_user(store, email)
        assert (await users_page(store)).total == 5

    async def test_concurrent_adds_of_one_email_leave_exactly_one_user(self, store: Store) -> None:
        variants = ("race@x.io", "RACE@x.io", " Race@X.io", "race@X.IO\t")
        everyone_inside = asyncio.Barrier(len(variants))

        async def add(email: str) -> User:
            # Each in its own unit of work, all open at once (on the SQL stores: one connection each).
            async with store.unit_of_work() as work:
                await everyone_inside.wait()
                user = await work.users.add(UserDraft(email=email, name="Racer", role=Role.READER), T0)
                await work.commit()
            return user

        results = await asyncio.gather(*(add(email) for email in variants), return_exceptions=True)
        winners = [r for r in results if isinstance(r, User)]
        assert len(winners) == 1
        assert all(isinstance(r, DuplicateUser) for r in results if not isinstance(r, User))
        assert (await users_page(store)).items == winners


class TestSignInRecordAndUpdate:
    async def test_sign_in_record_finds_the_user_and_its_password_hash_by_email_key(self, store: Store) -> None:
        user = await add_user(store, "Grace@Example.com", password_hash=hashed("grace"))
        await add_user(store, "other@example.com", password_hash=hashed("other"))
        record = await sign_in_record(store, "grace@example.com")
        assert record is not None
        assert (record.user, record.password_hash) == (user, hashed("grace"))
        assert await sign_in_record(store, "Grace@Example.com") is None  # a key, not an email
        assert await sign_in_record(store, "nobody@example.com") is None

    async def test_a_user_without_password_has_no_hash(self, store: Store) -> None:
        user = await add_user(store, "keys-only@example.com")
        record = await sign_in_record(store, "keys-only@example.com")
        assert record is not None
        assert (record.user, record.password_hash) == (user, None)

    async def test_update_stores_name_role_and_active(self, store: Store) -> None:
        user = await add_user(store, password_hash=hashed("old"))
        other = await add_user(store)
        later = T0 + timedelta(seconds=5)
        updated = await change_user(store, user, later, name="Renamed", role=Role.ADMIN, active=False)
        assert (updated.name, updated.role, updated.active, updated.updated_at) == ("Renamed", Role.ADMIN, False, later)
        assert await get_user(store, user.id) == updated
        assert await get_user(store, other.id) == other
        record = await sign_in_record(store, email_key(user.email))
        assert record is not None
        assert record.password_hash == hashed("old")  # no new password: the stored hash stays

    async def test_update_with_a_password_hash_replaces_only_the_hash(self, store: Store) -> None:
        user = await add_user(store, password_hash=hashed("old"))
        updated = await change_user(store, user, T0 + timedelta(seconds=1), password_hash=hashed("new"))
        record = await sign_in_record(store, email_key(user.email))
        assert record is not None
        assert (record.user, record.password_hash) == (updated, hashed("new"))
        assert (updated.name, updated.role, updated.active) == (user.name, user.role, user.active)

    async def test_a_user_without_password_may_get_one(self, store: Store) -> None:
        user = await add_user(store)
        await change_user(store, user, T0, password_hash=hashed("first"))
        record = await sign_in_record(store, email_key(user.email))
        assert record is not None
        assert record.password_hash == hashed("first")

    async def test_update_of_a_user_not_stored_stores_nothing(self, store: Store) -> None:
        user = await add_user(store)
        ghost = msgspec.structs.replace(user, id=user.id + 1000, name="Ghost")
        async with store.unit_of_work() as work:
            await work.users.update(ghost, ("name",), hashed("ghost"))
            await work.commit()
        assert (await users_page(store)).items == [user]


class TestListAndExists:
    async def test_an_empty_store_has_no_users(self, store: Store) -> None:
        page = await users_page(store, 10, 0)
        assert (page.items, page.total, page.limit, page.offset) == ([], 0, 10, 0)
        async with store.unit_of_work() as work:
            assert await work.users.exists() is False

    async def test_exists_once_a_user_is_stored(self, store: Store) -> None:
        await add_user(store)
        async with store.unit_of_work() as work:
            assert await work.users.exists() is True

    async def test_pages_are_ordered_by_id_and_count_every_user(self, store: Store) -> None:
        # Emails and names out of id order: the order is the id's alone.
        users = [await add_user(store, unique(stem), name=stem) for stem in ("zed", "amy", "Mia", "bob", "Al")]
        page = await users_page(store, 2, 1)
        assert page.items == users[1:3]
        assert (page.total, page.limit, page.offset) == (5, 2, 1)
        walked = [user for offset in range(0, 6, 2) for user in (await users_page(store, 2, offset)).items]
        assert walked == users
        assert (await users_page(store, 10, 2**63 - 1)).items == []


class TestRollback:
    async def test_leaving_without_commit_undoes_user_and_key_writes(self, store: Store) -> None:
        user = await add_user(store, password_hash=hashed("kept"))
        kept_key = await add_key(store, user.id, "digest-kept")
        gone_key = await add_key(store, user.id, "digest-gone")
        async with store.unit_of_work() as work:
            added = await work.users.add(UserDraft(email=unique(), name="Temp", role=Role.READER), T0)
            await work.api_keys.add(added.id, "temp", "tsk_temp", "digest-temp", T0)
            await work.api_keys.add(user.id, "more", "tsk_more", "digest-more", T0)
            current = await work.users.get(user.id, for_update=True)
            assert current is not None
            gone = msgspec.structs.replace(current, name="Gone", active=False)
            await work.users.update(gone, ("name", "active", "password"), hashed("x"))
            await work.api_keys.remove(gone_key.id)
            await work.api_keys.touch(kept_key.id, T0 + timedelta(hours=1))
        assert (await users_page(store)).items == [user]
        assert await keys_of(store, user.id) == [kept_key, gone_key]
        assert await owner(store, "digest-temp") is None
        assert await owner(store, "digest-more") is None
        record = await sign_in_record(store, email_key(user.email))
        assert record is not None
        assert record.password_hash == hashed("kept")

    async def test_a_rolled_back_first_user_leaves_the_store_without_users(self, store: Store) -> None:
        async with store.unit_of_work() as work:
            await work.users.add(UserDraft(email="admin@localhost", name="Admin", role=Role.ADMIN), T0)
        async with store.unit_of_work() as work:
            assert await work.users.exists() is False
