"""Users and API keys in the in-memory store, under its writer lock and undo journal (memory.py).

Every write goes through `_write`, which journals the entry it replaces, so a unit of work that
leaves without committing undoes user and key writes along with task writes.
"""

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Protocol, TypeVar

import msgspec

from taskservice.domain.errors import DuplicateUser, UserNotFound
from taskservice.domain.user import ApiKey, User, UserDraft, UserPage, new_user
from taskservice.ports.users import KeyOwner, SignInRecord

K = TypeVar("K")
V = TypeVar("V")


class Journal(Protocol):
    """What the memory unit of work offers its repositories (MemoryUnitOfWork)."""

    async def lock(self) -> None: ...

    async def settle(self) -> None: ...

    def on_rollback(self, undo: Callable[[], None]) -> None: ...


class UserTables:
    """The store's users and keys. Users are never deleted; ids are never handed out twice."""

    def __init__(self) -> None:
        self.users: dict[int, SignInRecord] = {}
        self.user_ids_by_key: dict[str, int] = {}
        self.keys: dict[int, ApiKey] = {}
        self.digests: dict[int, str] = {}
        self.key_ids_by_digest: dict[str, int] = {}
        self.last_user_id = 0
        self.last_key_id = 0


def _write(work: Journal, table: dict[K, V], key: K, value: V | None) -> None:
    """Set (or, with None, delete) one entry, journaling what was there for a rollback."""
    had, previous = key in table, table.get(key)
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value

    def undo() -> None:
        if had:
            table[key] = previous  # pyright: ignore[reportArgumentType] - `had`: it was a V
        else:
            table.pop(key, None)

    work.on_rollback(undo)


class MemoryUserRepository:
    """The `UserRepository` port; reads wait for any writer, writes hold the store's lock."""

    def __init__(self, tables: UserTables, work: Journal) -> None:
        self._tables = tables
        self._work = work

    async def add(self, draft: UserDraft, now: datetime) -> User:
        await self._work.lock()
        tables = self._tables
        key = draft.email_key
        if key in tables.user_ids_by_key:
            raise DuplicateUser(draft.email)
        tables.last_user_id += 1  # not given back on rollback: ids are never reused
        user = new_user(draft, tables.last_user_id, now)
        _write(self._work, tables.users, user.id, SignInRecord(user=user, password_hash=draft.password_hash))
        _write(self._work, tables.user_ids_by_key, key, user.id)
        return user

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        await (self._work.lock() if for_update else self._work.settle())
        record = self._tables.users.get(user_id)
        return record.user if record is not None else None

    async def sign_in_record(self, email_key: str) -> SignInRecord | None:
        await self._work.settle()
        user_id = self._tables.user_ids_by_key.get(email_key)
        return self._tables.users[user_id] if user_id is not None else None

    async def update(self, user: User, changed: Collection[str], password_hash: str | None = None) -> None:  # noqa: ARG002 - whole users are stored
        await self._work.lock()
        stored = self._tables.users.get(user.id)
        if stored is None:  # as an UPDATE of no row: nothing (the caller read it for update)
            return
        # The email (and so its key) never changes: only the record is rewritten.
        hashed = password_hash if password_hash is not None else stored.password_hash
        _write(self._work, self._tables.users, user.id, SignInRecord(user=user, password_hash=hashed))

    async def list(self, limit: int, offset: int) -> UserPage:
        await self._work.settle()
        users = [record.user for _, record in sorted(self._tables.users.items())]
        return UserPage(items=users[offset : offset + limit], total=len(users), limit=limit, offset=offset)

    async def exists(self) -> bool:
        await self._work.settle()
        return bool(self._tables.users)


class MemoryApiKeyRepository:
    """The `ApiKeyRepository` port, on the same tables and journal as the users."""

    def __init__(self, tables: UserTables, work: Journal) -> None:
        self._tables = tables
        self._work = work

    async def add(self, user_id: int, name: str, prefix: str, digest: str, now: datetime) -> ApiKey:
        await self._work.lock()
        tables = self._tables
        if user_id not in tables.users:  # what the SQL stores' foreign key refuses
            raise UserNotFound(user_id)
        tables.last_key_id += 1
        key = ApiKey(
            id=tables.last_key_id, user_id=user_id, name=name, prefix=prefix, created_at=now, last_used_at=None
        )
        _write(self._work, tables.keys, key.id, key)
        _write(self._work, tables.digests, key.id, digest)
        _write(self._work, tables.key_ids_by_digest, digest, key.id)
        return key

    async def get(self, key_id: int) -> ApiKey | None:
        await self._work.settle()
        return self._tables.keys.get(key_id)

    async def list_for(self, user_id: int) -> list[ApiKey]:
        await self._work.settle()
        return [key for _, key in sorted(self._tables.keys.items()) if key.user_id == user_id]

    async def remove(self, key_id: int) -> ApiKey | None:
        await self._work.lock()
        tables = self._tables
        key = tables.keys.get(key_id)
        if key is not None:
            _write(self._work, tables.key_ids_by_digest, tables.digests[key_id], None)
            _write(self._work, tables.digests, key_id, None)
            _write(self._work, tables.keys, key_id, None)
        return key

    async def owner(self, digest: str) -> KeyOwner | None:
        await self._work.settle()
        key_id = self._tables.key_ids_by_digest.get(digest)
        if key_id is None:
            return None
        key = self._tables.keys[key_id]
        return KeyOwner(key=key, user=self._tables.users[key.user_id].user)

    async def touch(self, key_id: int, now: datetime) -> None:
        await self._work.lock()
        key = self._tables.keys.get(key_id)
        if key is not None:
            _write(self._work, self._tables.keys, key_id, msgspec.structs.replace(key, last_used_at=now))
