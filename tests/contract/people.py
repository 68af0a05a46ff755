"""Users and API keys as one operation at a time sees them: each call its own unit of work, committed."""

import itertools
from datetime import datetime

from hypothesis import assume
from hypothesis import strategies as st

from taskservice.domain.user import (
    ApiKey,
    Role,
    User,
    UserChanges,
    UserDraft,
    UserPage,
    apply_user_changes,
    email_key,
)
from taskservice.ports.unit_of_work import Store
from taskservice.ports.users import KeyOwner, SignInRecord
from tests.fakes import T0

_serial = itertools.count(1)


def unique(stem: str = "user") -> str:
    """An email no other call returns (users are never deleted, so examples must not collide)."""
    return f"{stem}{next(_serial)}@example.com"


def hashed(password: str) -> str:
    """A stand-in for a password hash (stores keep whatever string they are given)."""
    return f"$argon2id$v=19$m=65536,t=3,p=4${password}"


async def add_user(
    store: Store,
    email: str | None = None,
    *,
    name: str = "Ada",
    role: Role = Role.WRITER,
    password_hash: str | None = None,
    at: datetime = T0,
) -> User:
    draft = UserDraft(email=email or unique(), name=name, role=role, password_hash=password_hash)
    async with store.unit_of_work() as work:
        user = await work.users.add(draft, at)
        await work.commit()
    return user


async def get_user(store: Store, user_id: int) -> User | None:
    async with store.unit_of_work() as work:
        return await work.users.get(user_id)


async def sign_in_record(store: Store, email_key: str) -> SignInRecord | None:
    async with store.unit_of_work() as work:
        return await work.users.sign_in_record(email_key)


async def users_page(store: Store, limit: int = 1000, offset: int = 0) -> UserPage:
    async with store.unit_of_work() as work:
        return await work.users.list(limit, offset)


async def change_user(
    store: Store, user: User, at: datetime, password_hash: str | None = None, **fields: object
) -> User:
    """Apply `fields` (and a new password hash) as the use cases do: read for update, then store."""
    async with store.unit_of_work() as work:
        current = await work.users.get(user.id, for_update=True)
        assert current is not None
        changes = UserChanges(**fields, **({"password_hash": password_hash} if password_hash else {}))  # pyright: ignore[reportArgumentType]
        updated, names = apply_user_changes(current, changes, at)
        await work.users.update(updated, names, password_hash)
        await work.commit()
    return updated


async def add_key(
    store: Store, user_id: int, digest: str, *, name: str = "laptop", prefix: str = "tsk_abcd", at: datetime = T0
) -> ApiKey:
    async with store.unit_of_work() as work:
        key = await work.api_keys.add(user_id, name, prefix, digest, at)
        await work.commit()
    return key


async def owner(store: Store, digest: str) -> KeyOwner | None:
    async with store.unit_of_work() as work:
        return await work.api_keys.owner(digest)


async def keys_of(store: Store, user_id: int) -> list[ApiKey]:
    async with store.unit_of_work() as work:
        return await work.api_keys.list_for(user_id)


# Emails whose parts mix cases, non-ASCII letters whose case folds to several (ß, İ) and digits.
_EMAIL_PART = st.text(st.sampled_from("abcXYZßİéÉ09.-_"), min_size=1, max_size=12)


@st.composite
def email_variants(draw: st.DrawFn) -> tuple[str, str]:
    """An email, and the same email in other cases with outer whitespace: the same key."""
    email = f"{draw(_EMAIL_PART)}{next(_serial)}@{draw(_EMAIL_PART)}"
    cased = "".join(draw(st.sampled_from([c, c.upper(), c.lower()])) for c in email)
    padding = st.text(st.sampled_from(" \t\n"), max_size=2)
    variant = f"{draw(padding)}{cased}{draw(padding)}"
    assume(email_key(variant) == email_key(email))  # what the domain calls the same email
    return email, variant
