"""The user and API-key stores as a use case sees them inside one unit of work.

Secrets cross this port only as hashes: a password hash (Argon2id, made by the use case in a
thread) and an API key's digest (a hash of a high-entropy secret, so one fast hash suffices).
Any method may raise `StorageUnavailable`.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

import msgspec

from taskservice.domain.user import ApiKey, User, UserDraft, UserPage


class SignInRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What sign-in needs: the user and its password hash (None: signs in only with API keys)."""

    user: User
    password_hash: str | None


class KeyOwner(msgspec.Struct, frozen=True, kw_only=True):
    """An API key found by its digest, with the user it belongs to."""

    key: ApiKey
    user: User


class UserRepository(Protocol):
    async def add(self, draft: UserDraft, now: datetime) -> User:
        """Store a new user (fresh id, `active` true, both timestamps `now`).

        Raises `DuplicateUser` if another user has the same email key; the store's unique index
        decides, so concurrent adds of one email leave exactly one user.
        """
        ...

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """The user with this id, or None. `for_update` as in TaskRepository.get."""
        ...

    async def sign_in_record(self, email_key: str) -> SignInRecord | None:
        """The user whose email key is `email_key` (domain.user.email_key), with its password hash."""
        ...

    async def update(self, user: User, changed: Collection[str], password_hash: str | None = None) -> None:
        """Store `user` over the stored user of its id, read with `for_update` in this unit of work.

        `changed` names the fields that differ (`password` among them when `password_hash` is given).
        """
        ...

    async def list(self, limit: int, offset: int) -> UserPage:
        """One page ordered by id, and the count of all users."""
        ...

    async def exists(self) -> bool:
        """Whether any user is stored (a `dev` start on an empty database creates the first admin)."""
        ...


class ApiKeyRepository(Protocol):
    async def add(self, user_id: int, name: str, prefix: str, digest: str, now: datetime) -> ApiKey:
        """Store a new key of `user_id` under the digest of its secret; `last_used_at` is None.

        Raises `UserNotFound` if there is no user `user_id`.
        """
        ...

    async def get(self, key_id: int) -> ApiKey | None: ...

    async def list_for(self, user_id: int) -> list[ApiKey]:
        """The user's keys, ordered by id."""
        ...

    async def remove(self, key_id: int) -> ApiKey | None:
        """Delete (revoke) the key and return it, or None if there was none."""
        ...

    async def owner(self, digest: str) -> KeyOwner | None:
        """The key with this digest and its user (active or not), or None."""
        ...

    async def touch(self, key_id: int, now: datetime) -> None:
        """Record a use: `last_used_at` becomes `now` (a missing key is no error)."""
        ...
