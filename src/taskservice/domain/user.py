"""A user, its roles and field rules, and an API key as the domain sees it.

Pure, like domain/task.py: no I/O, no clock, no hashing. Secrets never live in these Structs;
the stores keep hashes beside them (ports/users.py).
"""

import enum
from datetime import datetime
from typing import Final

import msgspec

from taskservice.domain.errors import InvalidField

EMAIL_MAX_LENGTH: Final = 254
NAME_MAX_LENGTH: Final = 200
PASSWORD_MIN_LENGTH: Final = 12
PASSWORD_MAX_LENGTH: Final = 256
KEY_NAME_MAX_LENGTH: Final = 100

# The fields a user may change, in the order events and docs list them.
USER_FIELDS: Final = ("name", "role", "active")


class Role(enum.StrEnum):
    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"

    @property
    def may_write_tasks(self) -> bool:
        return self is not Role.READER


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A stored user: exactly the fields a response shows (no password hash)."""

    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime


class UserDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A new user, validated. `password_hash` is already hashed (or None: API keys only)."""

    email: str
    name: str
    role: Role
    password_hash: str | None = None

    @property
    def email_key(self) -> str:
        return email_key(self.email)


class UserChanges(msgspec.Struct, frozen=True, kw_only=True):
    """A partial update of a user; `UNSET` leaves a field alone. The password travels hashed."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password_hash: str | msgspec.UnsetType = msgspec.UNSET

    def is_empty(self) -> bool:
        return all(getattr(self, name) is msgspec.UNSET for name in (*USER_FIELDS, "password_hash"))


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A stored API key, without its secret. `prefix`: the key's first characters, to tell keys apart."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class UserPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[User]
    total: int
    limit: int
    offset: int


def email_key(email: str) -> str:
    """The uniqueness key of an email: two users may not share it."""
    return email.strip().casefold()


def check_email(raw: str) -> str:
    """Trimmed; exactly one `@` with something on both sides."""
    email = raw.strip()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise InvalidField("email", "must be one `@` with a non-empty part on each side")
    if len(email) > EMAIL_MAX_LENGTH or any(c.isspace() or c == "\x00" for c in email):
        raise InvalidField("email", f"must be at most {EMAIL_MAX_LENGTH} characters, without spaces")
    return email


def check_name(raw: str) -> str:
    name = raw.strip()
    if not name or "\x00" in name:
        raise InvalidField("name", "must not be empty, only whitespace or contain NUL characters")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidField("name", f"must be at most {NAME_MAX_LENGTH} characters after trimming")
    return name


def check_password(password: str) -> str:
    """The rule for a new password; checked before hashing, never logged."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise InvalidField("password", f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters")
    return password


def check_key_name(raw: str) -> str:
    name = raw.strip()
    if not name or "\x00" in name or len(name) > KEY_NAME_MAX_LENGTH:
        raise InvalidField("name", f"must be 1 to {KEY_NAME_MAX_LENGTH} characters after trimming, without NUL")
    return name


def new_user(draft: UserDraft, user_id: int, now: datetime) -> User:
    """The user a store holds once it has stored `draft` under `user_id` at `now`: active."""
    return User(
        id=user_id,
        email=draft.email,
        name=draft.name,
        role=draft.role,
        active=True,
        created_at=now,
        updated_at=now,
    )


def apply_user_changes(user: User, changes: UserChanges, now: datetime) -> tuple[User, tuple[str, ...]]:
    """The user after `changes` and the names of the fields that really changed (a new password
    is always a change: its hash is never compared)."""
    updates = {
        name: getattr(changes, name)
        for name in USER_FIELDS
        if getattr(changes, name) is not msgspec.UNSET and getattr(changes, name) != getattr(user, name)
    }
    changed = (*updates, *(("password",) if changes.password_hash is not msgspec.UNSET else ()))
    if not changed:
        return user, ()
    return msgspec.structs.replace(user, **updates, updated_at=max(now, user.updated_at)), changed


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making a request, once authenticated: the user, its role, and the key used (if any)."""

    user_id: int
    role: Role
    key_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
