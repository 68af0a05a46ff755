"""The user use cases: create, read, list and change users, each decided from the `Caller`.

Who may do what is decided here, before anything is validated, hashed or read: a caller who may
not touch a user learns nothing about it (not even whether it exists). Passwords are checked,
then hashed in the hasher's thread before the unit of work opens, so no row lock is held while
Argon2 runs.
"""

from collections.abc import Callable

import msgspec

from taskservice.domain.errors import EmptyUpdate, Forbidden, UserNotFound
from taskservice.domain.user import (
    Caller,
    Role,
    User,
    UserChanges,
    UserDraft,
    UserPage,
    apply_user_changes,
    check_email,
    check_name,
    check_password,
)
from taskservice.ports.clock import Clock
from taskservice.ports.credentials import PasswordHasher
from taskservice.ports.unit_of_work import UnitOfWork

ADMIN_ONLY = "Only an admin may do this."
ADMIN_OR_SELF = "Only an admin or the user itself may do this."
OWN_FIELDS_ONLY = "A user may change only its own name and password; role and active are for an admin."
NOT_ON_ONESELF = "An admin cannot demote or deactivate itself; another admin must do it."


class NewUser(msgspec.Struct, frozen=True, kw_only=True):
    """A user as an admin asks for it: not yet checked, the password in clear (never stored)."""

    email: str
    name: str
    role: Role
    password: str | None = None


class UserUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A partial change as a caller asks for it; `UNSET` leaves a field alone."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: str | msgspec.UnsetType = msgspec.UNSET


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden(ADMIN_ONLY)


def require_admin_or_self(caller: Caller, user_id: int) -> None:
    if not caller.is_admin and caller.user_id != user_id:
        raise Forbidden(ADMIN_OR_SELF)


class UserUseCases:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], clock: Clock, hasher: PasswordHasher) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._hasher = hasher

    async def create(self, caller: Caller, new: NewUser) -> User:
        """Create a user (admin only). Raises `InvalidField`, `DuplicateUser`, `Forbidden`."""
        require_admin(caller)
        email, name = check_email(new.email), check_name(new.name)
        password_hash = None if new.password is None else await self._hasher.hash(check_password(new.password))
        draft = UserDraft(email=email, name=name, role=new.role, password_hash=password_hash)
        async with self._unit_of_work() as work:
            user = await work.users.add(draft, self._clock.now())
            await work.commit()
        return user

    async def get(self, caller: Caller, user_id: int) -> User:
        """One user (admin, or the user itself). Raises `Forbidden`, `UserNotFound`."""
        require_admin_or_self(caller, user_id)
        async with self._unit_of_work() as work:
            user = await work.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def list(self, caller: Caller, limit: int, offset: int) -> UserPage:
        """One page of users ordered by id, with the count of all (admin only)."""
        require_admin(caller)
        async with self._unit_of_work() as work:
            return await work.users.list(limit, offset)

    async def patch(self, caller: Caller, user_id: int, update: UserUpdate) -> User:
        """Change the fields given. An admin may change `name`, `role`, `active` and `password` of
        anyone but its own role and active flag; a user only its own `name` and `password`.
        Values equal to the stored ones change nothing. Raises `Forbidden`, `EmptyUpdate`,
        `InvalidField`, `UserNotFound`."""
        require_admin_or_self(caller, user_id)
        _check_allowed(caller, user_id, update)
        changes = await self._changes(update)
        async with self._unit_of_work() as work:
            current = await work.users.get(user_id, for_update=True)
            if current is None:
                raise UserNotFound(user_id)
            updated, changed = apply_user_changes(current, changes, self._clock.now())
            if not changed:
                return current
            password_hash = changes.password_hash if isinstance(changes.password_hash, str) else None
            await work.users.update(updated, changed, password_hash)
            await work.commit()
        return updated

    async def _changes(self, update: UserUpdate) -> UserChanges:
        if all(getattr(update, field) is msgspec.UNSET for field in update.__struct_fields__):
            raise EmptyUpdate()
        name = update.name if isinstance(update.name, msgspec.UnsetType) else check_name(update.name)
        password_hash: str | msgspec.UnsetType = msgspec.UNSET
        if isinstance(update.password, str):
            password_hash = await self._hasher.hash(check_password(update.password))
        return UserChanges(name=name, role=update.role, active=update.active, password_hash=password_hash)


def _check_allowed(caller: Caller, user_id: int, update: UserUpdate) -> None:
    """The field rules of PATCH, by who asks: decided on the fields sent, whatever their values."""
    sends_admin_fields = update.role is not msgspec.UNSET or update.active is not msgspec.UNSET
    if not caller.is_admin:
        if sends_admin_fields:
            raise Forbidden(OWN_FIELDS_ONLY)
        return
    if caller.user_id == user_id and (
        update.role not in (msgspec.UNSET, Role.ADMIN) or update.active not in (msgspec.UNSET, True)
    ):
        raise Forbidden(NOT_ON_ONESELF)
