"""API keys, sign-in and the first admin over the memory store."""

from datetime import UTC, datetime

import pytest

from taskservice.adapters.credentials import key_digest, looks_like_api_key
from taskservice.adapters.memory import MemoryStore
from taskservice.domain.errors import ApiKeyNotFound, Forbidden, InvalidCredentials, InvalidField, UserNotFound
from taskservice.domain.user import Role, User
from taskservice.usecases.first_admin import NotAnAdmin
from taskservice.usecases.users import NewUser, UserUpdate
from tests.accounts import PASSWORD, Accounts, accounts, caller
from tests.fakes import FixedClock

ADMIN = caller(1, Role.ADMIN)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> FixedClock:
    """Now: the tokens issued here are read back by PyJWT, which checks `exp` on the real clock."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
async def run(store: MemoryStore, clock: FixedClock) -> Accounts:
    cases = accounts(store, clock)
    await cases.first_admin.ensure("root@example.com", "Root", key_name="test")
    return cases


async def add(run: Accounts, email: str, role: Role = Role.READER, password: str | None = PASSWORD) -> User:
    return await run.users.create(ADMIN, NewUser(email=email, name="Someone", role=role, password=password))


async def owner_of(store: MemoryStore, secret: str) -> int | None:
    async with store.unit_of_work() as work:
        found = await work.api_keys.owner(key_digest(secret))
    return found.user.id if found else None


async def test_a_user_creates_its_own_key_shown_once_and_stored_only_by_digest(
    run: Accounts, store: MemoryStore, clock: FixedClock
) -> None:
    user = await add(run, "k@example.com")
    issued = await run.keys.create(caller(user.id), user.id, " laptop ")
    assert looks_like_api_key(issued.secret)
    assert issued.secret.startswith(issued.key.prefix)
    assert (issued.key.user_id, issued.key.name, issued.key.created_at, issued.key.last_used_at) == (
        user.id,
        "laptop",
        clock.now(),
        None,
    )
    assert await owner_of(store, issued.secret) == user.id
    assert issued.secret not in repr(store.people.__dict__)


async def test_an_admin_creates_and_lists_keys_of_any_user_and_others_may_not(run: Accounts) -> None:
    user, other = await add(run, "k@example.com"), await add(run, "o@example.com", Role.WRITER)
    first = await run.keys.create(ADMIN, user.id, "ci")
    second = await run.keys.create(caller(user.id), user.id, "laptop")
    assert await run.keys.list(ADMIN, user.id) == [first.key, second.key]
    assert await run.keys.list(caller(user.id), user.id) == [first.key, second.key]
    with pytest.raises(Forbidden):
        await run.keys.create(caller(other.id, Role.WRITER), user.id, "stolen")
    with pytest.raises(Forbidden):
        await run.keys.list(caller(other.id, Role.WRITER), user.id)
    assert len(await run.keys.list(ADMIN, user.id)) == 2


async def test_keys_of_an_unknown_user_are_user_not_found_and_a_bad_name_is_refused(run: Accounts) -> None:
    with pytest.raises(UserNotFound):
        await run.keys.create(ADMIN, 999, "x")
    with pytest.raises(UserNotFound):
        await run.keys.list(ADMIN, 999)
    with pytest.raises(InvalidField):
        await run.keys.create(ADMIN, 1, "  ")


async def test_revoking_a_key_makes_it_unknown_to_the_store(run: Accounts, store: MemoryStore) -> None:
    user = await add(run, "k@example.com")
    issued = await run.keys.create(caller(user.id), user.id, "laptop")
    await run.keys.revoke(caller(user.id), issued.key.id)
    assert await owner_of(store, issued.secret) is None
    assert await run.keys.list(ADMIN, user.id) == []
    with pytest.raises(ApiKeyNotFound):
        await run.keys.revoke(caller(user.id), issued.key.id)


async def test_another_users_key_is_not_found_for_a_non_admin_exactly_as_a_missing_one(
    run: Accounts, store: MemoryStore
) -> None:
    user, other = await add(run, "k@example.com"), await add(run, "o@example.com", Role.WRITER)
    issued = await run.keys.create(ADMIN, user.id, "laptop")
    with pytest.raises(ApiKeyNotFound) as theirs:
        await run.keys.revoke(caller(other.id, Role.WRITER), issued.key.id)
    with pytest.raises(ApiKeyNotFound) as missing:
        await run.keys.revoke(caller(other.id, Role.WRITER), 999)
    assert str(theirs.value).replace(str(issued.key.id), "N") == str(missing.value).replace("999", "N")
    assert await owner_of(store, issued.secret) == user.id
    await run.keys.revoke(ADMIN, issued.key.id)
    assert await owner_of(store, issued.secret) is None


async def test_sign_in_gives_a_token_for_the_users_current_role(run: Accounts) -> None:
    user = await add(run, "s@example.com", Role.WRITER)
    token = await run.sign_in.sign_in(" S@EXAMPLE.com ", PASSWORD)
    claims = run.codec.read(token.token)
    assert claims is not None
    assert (claims.user_id, claims.role, token.expires_in) == (user.id, "writer", 900)


async def test_every_failed_sign_in_is_the_same_error_after_exactly_one_verification(run: Accounts) -> None:
    await add(run, "s@example.com")
    await add(run, "keys-only@example.com", password=None)
    inactive = await add(run, "gone@example.com")
    await run.users.patch(ADMIN, inactive.id, UserUpdate(active=False))
    attempts = [
        ("nobody@example.com", PASSWORD),
        ("s@example.com", "wrong password!"),
        ("keys-only@example.com", ""),
        ("gone@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ]
    messages: set[str] = set()
    for email, password in attempts:
        before = run.hasher.verified
        with pytest.raises(InvalidCredentials) as refused:
            await run.sign_in.sign_in(email, password)
        assert run.hasher.verified == before + 1, email
        messages.add(str(refused.value))
    assert len(messages) == 1


async def test_create_admin_makes_an_admin_without_password_then_gives_it_more_keys(
    run: Accounts, store: MemoryStore
) -> None:
    first = await run.first_admin.ensure("ops@example.com", "Ops", key_name="cli")
    again = await run.first_admin.ensure(" OPS@example.com", "Other name", key_name="cli")
    assert first.created
    assert not again.created
    assert first.user == again.user
    assert (first.user.role, first.user.name) == (Role.ADMIN, "Ops")
    assert first.issued.secret != again.issued.secret
    assert await owner_of(store, first.issued.secret) == await owner_of(store, again.issued.secret) == first.user.id
    with pytest.raises(InvalidCredentials):
        await run.sign_in.sign_in("ops@example.com", "")


@pytest.mark.parametrize("change", [UserUpdate(role=Role.WRITER), UserUpdate(active=False)])
async def test_create_admin_refuses_an_email_of_a_non_admin_or_inactive_user_and_stores_no_key(
    run: Accounts, change: UserUpdate
) -> None:
    user = await add(run, "w@example.com", Role.ADMIN)
    await run.users.patch(ADMIN, user.id, change)
    with pytest.raises(NotAnAdmin, match=f"PATCH /v1/users/{user.id}"):
        await run.first_admin.ensure("w@example.com", "W", key_name="cli")
    assert await run.keys.list(ADMIN, user.id) == []


async def test_the_first_dev_admin_is_made_only_on_a_store_without_users(store: MemoryStore) -> None:
    cases = accounts(store, FixedClock())
    made = await cases.first_admin.ensure_when_empty("admin@localhost", "Admin", key_name="dev")
    assert made is not None
    assert made.user.email == "admin@localhost"
    assert await cases.first_admin.ensure_when_empty("admin@localhost", "Admin", key_name="dev") is None
    assert await cases.first_admin.ensure_when_empty("other@localhost", "Admin", key_name="dev") is None
    assert len(await cases.keys.list(caller(made.user.id, Role.ADMIN), made.user.id)) == 1
