"""The first admin: an operator's way in before anyone can sign in (`taskservice create-admin`,
and the first `dev` start on an empty database)."""

from collections.abc import Callable

import msgspec

from taskservice.domain.errors import DuplicateUser
from taskservice.domain.user import Role, User, UserDraft, check_email, check_name, email_key
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import UnitOfWork
from taskservice.usecases.api_keys import IssuedKey, KeyMaker, issue_key


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
