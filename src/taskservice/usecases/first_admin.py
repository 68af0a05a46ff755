"""The first admin: an operator's way in before anyone can sign in (`taskservice create-admin`,
and the first `dev` start on an empty database), and the admin key tests start an app with."""

from collections.abc import Callable
from typing import Final

import msgspec

from taskservice.domain.errors import DuplicateUser
from taskservice.domain.user import Role, User, UserDraft, check_email, check_name, email_key
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import UnitOfWork
from taskservice.usecases.api_keys import IssuedKey, KeyMaker, issue_key

FIRST_ADMIN_EMAIL: Final = "admin@localhost"
FIRST_ADMIN_NAME: Final = "Admin"
# (the key, shown once; its listing prefix; its stored digest) — adapters/credentials.new_api_key.
NewKey = tuple[str, str, str]


class NotAnAdmin(Exception):
    """The email belongs to a user who is not an active admin: no key is handed out for it."""

    def __init__(self, email: str, user: User) -> None:
        state = "an inactive admin" if user.role is Role.ADMIN else f"a {user.role.value}"
        super().__init__(
            f"{email} belongs to {state} (user {user.id}); an admin must change it with PATCH /v1/users/{user.id}, "
            "or choose another email."
        )


class AdminKey(msgspec.Struct, frozen=True, kw_only=True):
    user: User
    issued: IssuedKey
    created: bool  # the admin was created now (else it existed and got one more key)


class FirstAdmin:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], clock: Clock, make_key: KeyMaker) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._make_key = make_key

    async def ensure(self, email: str, name: str, *, key_name: str) -> AdminKey:
        """Create an admin with this email (no password: it signs in with API keys) or, if one
        exists, keep it as it is; either way store and return a new key for it, in one unit of
        work. Raises `InvalidField` (a bad email or name), `NotAnAdmin`, and `DuplicateUser` if
        another process creates the same email meanwhile."""
        email, name = check_email(email), check_name(name)
        async with self._unit_of_work() as work:
            admin = await self._ensure_in(work, email, name, key_name)
            await work.commit()
        return admin

    async def ensure_when_empty(self, email: str, name: str, *, key_name: str) -> AdminKey | None:
        """`ensure` on a store with no users at all, else None: the first `dev` start. Of several
        processes starting at once on one empty database, one creates the admin (the email's
        unique index decides) and the others get None."""
        email, name = check_email(email), check_name(name)
        async with self._unit_of_work() as work:
            if await work.users.exists():
                return None
            try:
                admin = await self._ensure_in(work, email, name, key_name)
            except DuplicateUser:
                return None
            if not admin.created:  # another process made it between the two reads: its key, not ours
                return None
            await work.commit()
        return admin

    async def _ensure_in(self, work: UnitOfWork, email: str, name: str, key_name: str) -> AdminKey:
        record = await work.users.sign_in_record(email_key(email))
        if record is None:
            user = await work.users.add(UserDraft(email=email, name=name, role=Role.ADMIN), self._clock.now())
        elif record.user.role is not Role.ADMIN or not record.user.active:
            raise NotAnAdmin(email, record.user)
        else:
            user = record.user
        issued = await issue_key(work, self._make_key, user.id, key_name, self._clock)
        return AdminKey(user=user, issued=issued, created=record is None)


async def create_first_admin(unit_of_work: Callable[[], UnitOfWork], clock: Clock, new_key: KeyMaker) -> str | None:
    """On a store with no users, create `admin@localhost` (admin, no password) with one API key
    and return the key; otherwise None (also for every process but one of several racing)."""
    admin = await FirstAdmin(unit_of_work, clock, new_key).ensure_when_empty(
        FIRST_ADMIN_EMAIL, FIRST_ADMIN_NAME, key_name="first admin"
    )
    return admin.issued.secret if admin is not None else None


async def grant_admin_key(unit_of_work: Callable[[], UnitOfWork], clock: Clock, key: NewKey) -> None:
    """Make `key` a key of `admin@localhost`, creating that admin if it is missing (tests start
    apps holding a key they made; the key then works through the real authentication path)."""
    await FirstAdmin(unit_of_work, clock, lambda: key).ensure(FIRST_ADMIN_EMAIL, FIRST_ADMIN_NAME, key_name="granted")
