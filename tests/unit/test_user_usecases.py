"""The user use cases over the memory store: who may do what, field rules, no-op changes."""

from datetime import timedelta

import pytest

from taskservice.adapters.memory import MemoryStore
from taskservice.domain.errors import DuplicateUser, EmptyUpdate, Forbidden, InvalidField, UserNotFound
from taskservice.domain.user import Caller, Role, User, UserPage
from taskservice.usecases.users import NewUser, UserUpdate
from tests.accounts import PASSWORD, Accounts, accounts, caller
from tests.fakes import T0, FixedClock

ADMIN = caller(1, Role.ADMIN)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def run(store: MemoryStore, clock: FixedClock) -> Accounts:
    """The use cases, with user 1 an admin (made the way an operator makes the first one)."""
    cases = accounts(store, clock)
    await cases.first_admin.ensure("root@example.com", "Root", key_name="test")
    return cases


async def add(run: Accounts, email: str, role: Role = Role.READER, password: str | None = PASSWORD) -> User:
    return await run.users.create(
        ADMIN, NewUser(email=email, name=email.split("@", maxsplit=1)[0], role=role, password=password)
    )


async def all_users(run: Accounts) -> list[User]:
    return (await run.users.list(ADMIN, limit=100, offset=0)).items


async def test_an_admin_creates_a_user_with_trimmed_fields_active_and_both_timestamps_now(run: Accounts) -> None:
    user = await run.users.create(
        ADMIN, NewUser(email="  Ada@Example.com ", name=" Ada ", role=Role.WRITER, password=PASSWORD)
    )
    assert user == User(
        id=2, email="Ada@Example.com", name="Ada", role=Role.WRITER, active=True, created_at=T0, updated_at=T0
    )
    assert await run.users.get(ADMIN, 2) == user


async def test_creating_a_user_whose_email_differs_only_in_case_is_duplicate_user_and_stores_nothing(
    run: Accounts,
) -> None:
    await add(run, "ada@example.com")
    with pytest.raises(DuplicateUser):
        await add(run, " ADA@example.COM")
    assert [u.email for u in await all_users(run)] == ["root@example.com", "ada@example.com"]


@pytest.mark.parametrize("role", [Role.READER, Role.WRITER])
async def test_only_an_admin_creates_users_and_a_refused_create_is_not_even_validated(
    run: Accounts, role: Role
) -> None:
    with pytest.raises(Forbidden):
        await run.users.create(caller(1, role), NewUser(email="bad", name="", role=Role.ADMIN, password="short"))
    assert len(await all_users(run)) == 1


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("no-at-sign", "N", PASSWORD, "email"),
        ("two@at@signs", "N", PASSWORD, "email"),
        ("@example.com", "N", PASSWORD, "email"),
        ("a@b", "   ", PASSWORD, "name"),
        ("a@b", "N", "x" * 11, "password"),
        ("a@b", "N", "x" * 257, "password"),
    ],
)
async def test_create_refuses_each_bad_field_by_name(
    run: Accounts, email: str, name: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        await run.users.create(ADMIN, NewUser(email=email, name=name, role=Role.READER, password=password))
    assert refused.value.field == field
    assert len(await all_users(run)) == 1


async def test_a_user_without_a_password_can_be_created(run: Accounts) -> None:
    assert (await add(run, "bot@example.com", password=None)).email == "bot@example.com"


async def test_a_user_reads_itself_but_not_another_user_whether_or_not_it_exists(run: Accounts) -> None:
    reader = await add(run, "r@example.com")
    me = caller(reader.id)
    assert await run.users.get(me, reader.id) == reader
    for other in (1, 999):
        with pytest.raises(Forbidden):
            await run.users.get(me, other)
    with pytest.raises(UserNotFound):
        await run.users.get(ADMIN, 999)


async def test_listing_is_for_admins_ordered_by_id_paged_with_the_total(run: Accounts) -> None:
    for i in range(4):
        await add(run, f"u{i}@example.com")
    page = await run.users.list(ADMIN, limit=2, offset=1)
    assert [u.id for u in page.items] == [2, 3]
    assert (page.total, page.limit, page.offset) == (5, 2, 1)
    with pytest.raises(Forbidden):
        await run.users.list(caller(2, Role.WRITER), limit=2, offset=0)
    assert await run.users.list(ADMIN, limit=10, offset=9) == UserPage(items=[], total=5, limit=10, offset=9)


async def test_an_admin_changes_name_role_and_active_and_updated_at_moves(run: Accounts, clock: FixedClock) -> None:
    user = await add(run, "w@example.com", Role.WRITER)
    later = clock.advance(timedelta(minutes=1))
    changed = await run.users.patch(ADMIN, user.id, UserUpdate(name=" Wanda ", role=Role.READER, active=False))
    assert (changed.name, changed.role, changed.active, changed.updated_at) == ("Wanda", Role.READER, False, later)
    assert changed.created_at == T0
    assert await run.users.get(ADMIN, user.id) == changed


async def test_a_change_to_the_same_values_changes_nothing(run: Accounts, clock: FixedClock) -> None:
    user = await add(run, "w@example.com", Role.WRITER)
    clock.advance()
    assert await run.users.patch(ADMIN, user.id, UserUpdate(name="w", role=Role.WRITER, active=True)) == user
    assert await run.users.get(ADMIN, user.id) == user


async def test_a_user_changes_its_own_name_and_password_and_signs_in_with_the_new_one(run: Accounts) -> None:
    user = await add(run, "self@example.com")
    me = caller(user.id)
    await run.users.patch(me, user.id, UserUpdate(name="Me", password="a brand new password"))
    assert (await run.users.get(me, user.id)).name == "Me"
    assert (await run.sign_in.sign_in("self@example.com", "a brand new password")).expires_in == 900


@pytest.mark.parametrize("update", [UserUpdate(role=Role.READER), UserUpdate(active=True), UserUpdate(role=Role.ADMIN)])
async def test_a_user_who_is_not_admin_may_not_send_role_or_active_even_for_itself(
    run: Accounts, update: UserUpdate
) -> None:
    user = await add(run, "self@example.com")
    with pytest.raises(Forbidden):
        await run.users.patch(caller(user.id), user.id, update)
    assert await run.users.get(ADMIN, user.id) == user


async def test_a_user_may_not_change_another_user(run: Accounts) -> None:
    first, second = await add(run, "a@example.com"), await add(run, "b@example.com")
    with pytest.raises(Forbidden):
        await run.users.patch(caller(first.id, Role.WRITER), second.id, UserUpdate(name="Mallory"))
    assert await run.users.get(ADMIN, second.id) == second


@pytest.mark.parametrize("update", [UserUpdate(role=Role.WRITER), UserUpdate(active=False)])
async def test_an_admin_cannot_demote_or_deactivate_itself(run: Accounts, update: UserUpdate) -> None:
    before = await run.users.get(ADMIN, 1)
    with pytest.raises(Forbidden, match="cannot demote or deactivate itself"):
        await run.users.patch(ADMIN, 1, update)
    assert await run.users.get(ADMIN, 1) == before


async def test_an_admin_may_restate_its_own_role_and_rename_itself(run: Accounts) -> None:
    changed = await run.users.patch(ADMIN, 1, UserUpdate(name="Boss", role=Role.ADMIN, active=True))
    assert (changed.name, changed.role, changed.active) == ("Boss", Role.ADMIN, True)


async def test_an_admin_demotes_another_admin(run: Accounts) -> None:
    other = await add(run, "second@example.com", Role.ADMIN)
    assert (await run.users.patch(ADMIN, other.id, UserUpdate(role=Role.READER))).role is Role.READER


async def test_patch_refuses_an_empty_update_a_bad_field_and_an_unknown_user(run: Accounts) -> None:
    user = await add(run, "p@example.com")
    with pytest.raises(EmptyUpdate):
        await run.users.patch(ADMIN, user.id, UserUpdate())
    with pytest.raises(InvalidField):
        await run.users.patch(ADMIN, user.id, UserUpdate(password="short"))
    with pytest.raises(UserNotFound):
        await run.users.patch(ADMIN, 999, UserUpdate(name="Nobody"))
    assert await run.users.get(ADMIN, user.id) == user


async def test_a_new_password_is_a_change_even_when_nothing_else_is(run: Accounts, clock: FixedClock) -> None:
    user = await add(run, "p@example.com")
    later = clock.advance()
    assert (await run.users.patch(ADMIN, user.id, UserUpdate(password=PASSWORD))).updated_at == later


def test_a_caller_is_admin_only_with_the_admin_role() -> None:
    assert [Caller(user_id=1, role=role).is_admin for role in Role] == [False, False, True]
