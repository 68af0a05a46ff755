"""The SQL user and API-key repositories: Core statements built once, as repository.py's."""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, delete, func, insert, select, true, update

from taskservice.adapters.sql.compiled import Row, values
from taskservice.adapters.sql.session import SqlRepository
from taskservice.adapters.sql.tables import EMAIL_KEY_INDEX, api_keys, users
from taskservice.domain.errors import DuplicateUser, UserNotFound
from taskservice.domain.user import ApiKey, Role, User, UserDraft, UserPage, new_user
from taskservice.ports.users import KeyOwner, SignInRecord

_USER = tuple(column for column in users.c if column.name not in ("email_key", "password_hash"))  # a User's fields
_KEY = tuple(column for column in api_keys.c if column.name != "digest")  # an ApiKey's fields
_ROLES = {role.value: role for role in Role}

_NOW = bindparam("now", type_=users.c.created_at.type)
_NEW_USER = values("email", "email_key", "name", "role", "password_hash")
_ADD_USER = insert(users).values(**_NEW_USER, active=true(), created_at=_NOW, updated_at=_NOW).returning(users.c.id)
_GET_USER = select(*_USER).where(users.c.id == bindparam("user_id"))
_GET_USER_FOR_UPDATE = _GET_USER.with_for_update()
_SIGN_IN = select(*_USER, users.c.password_hash).where(users.c.email_key == bindparam("email_key"))
# One statement for every change: no index holds these columns, so writing an unchanged one costs
# nothing; a password hash of None keeps the stored one.
_KEEP_HASH = func.coalesce(bindparam("w_password_hash", type_=Text()), users.c.password_hash)
_UPDATE_USER = (
    update(users)
    .where(users.c.id == bindparam("user_id"))
    .values(**values("name", "role", "active", "updated_at"), password_hash=_KEEP_HASH)
)
_COUNT_USERS = select(func.count()).select_from(users)
_LIST_USERS = select(*_USER).order_by(users.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
_ANY_USER = select(users.c.id).limit(1)

# INSERT … SELECT from the user's row: no row, no key (UserNotFound) without a foreign-key error
# to tell from others. Typed binds: a SELECT list gives the driver no column to infer them from.
_KEY_VALUES = (api_keys.c.name, api_keys.c.prefix, api_keys.c.digest, api_keys.c.created_at)
_KEY_SOURCE = select(users.c.id, *(bindparam(f"w_{c.name}", type_=c.type) for c in _KEY_VALUES))
_ADD_KEY = (
    insert(api_keys)
    .from_select([api_keys.c.user_id, *_KEY_VALUES], _KEY_SOURCE.where(users.c.id == bindparam("user_id")))
    .returning(api_keys.c.id)
)
_GET_KEY = select(*_KEY).where(api_keys.c.id == bindparam("key_id"))
_KEYS_OF = select(*_KEY).where(api_keys.c.user_id == bindparam("user_id")).order_by(api_keys.c.id)
_REMOVE_KEY = delete(api_keys).where(api_keys.c.id == bindparam("key_id")).returning(*_KEY)
_OWNER = select(*_KEY, *_USER).select_from(api_keys.join(users)).where(api_keys.c.digest == bindparam("digest"))
_TOUCH = update(api_keys).where(api_keys.c.id == bindparam("key_id")).values(last_used_at=_NOW)


def _to_user(row: Row, start: int = 0) -> User:
    id_, email, name, role, active, created_at, updated_at = row[start : start + len(_USER)]
    return User(
        id=id_, email=email, name=name, role=_ROLES[role], active=active, created_at=created_at, updated_at=updated_at
    )


def _to_key(row: Row) -> ApiKey:
    id_, user_id, name, prefix, created_at, last_used_at = row[: len(_KEY)]
    return ApiKey(id=id_, user_id=user_id, name=name, prefix=prefix, created_at=created_at, last_used_at=last_used_at)


class SqlUserRepository(SqlRepository):
    """The `UserRepository` port inside one unit of work, on either SQL store."""

    __slots__ = ()

    async def add(self, draft: UserDraft, now: datetime) -> User:
        params: dict[str, Any] = {
            "w_email": draft.email,
            "w_email_key": draft.email_key,
            "w_name": draft.name,
            "now": now,
        }
        params.update(w_role=draft.role.value, w_password_hash=draft.password_hash)
        rows = await self._write(_ADD_USER, params, (EMAIL_KEY_INDEX, DuplicateUser(draft.email)))
        return new_user(draft, rows[0][0], now)

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        if for_update:
            await self._session.begin(write=True)
        return await self._one(_GET_USER_FOR_UPDATE if for_update else _GET_USER, {"user_id": user_id}, _to_user)

    async def sign_in_record(self, email_key: str) -> SignInRecord | None:
        def read(row: Row) -> SignInRecord:
            return SignInRecord(user=_to_user(row), password_hash=row[len(_USER)])

        return await self._one(_SIGN_IN, {"email_key": email_key}, read)

    async def update(self, user: User, changed: Collection[str], password_hash: str | None = None) -> None:  # noqa: ARG002 - one statement writes every field
        params = {"user_id": user.id, "w_name": user.name, "w_role": user.role.value, "w_active": user.active}
        await self._write(_UPDATE_USER, {**params, "w_updated_at": user.updated_at, "w_password_hash": password_hash})

    async def list(self, limit: int, offset: int) -> UserPage:
        await self._session.begin(write=False)  # the total and the page see one snapshot
        total = int((await self._session.rows(_COUNT_USERS))[0][0])
        rows = await self._session.rows(_LIST_USERS, {"limit": limit, "offset": offset})
        return UserPage(items=[_to_user(row) for row in rows], total=total, limit=limit, offset=offset)

    async def exists(self) -> bool:
        return bool(await self._session.rows(_ANY_USER))


class SqlApiKeyRepository(SqlRepository):
    """The `ApiKeyRepository` port inside one unit of work, on either SQL store."""

    __slots__ = ()

    async def add(self, user_id: int, name: str, prefix: str, digest: str, now: datetime) -> ApiKey:
        params = {"user_id": user_id, "w_name": name, "w_prefix": prefix, "w_digest": digest, "w_created_at": now}
        rows = await self._write(_ADD_KEY, params)
        if not rows:
            raise UserNotFound(user_id)
        return ApiKey(id=rows[0][0], user_id=user_id, name=name, prefix=prefix, created_at=now, last_used_at=None)

    async def get(self, key_id: int) -> ApiKey | None:
        return await self._one(_GET_KEY, {"key_id": key_id}, _to_key)

    async def list_for(self, user_id: int) -> list[ApiKey]:
        return [_to_key(row) for row in await self._session.rows(_KEYS_OF, {"user_id": user_id})]

    async def remove(self, key_id: int) -> ApiKey | None:
        rows = await self._write(_REMOVE_KEY, {"key_id": key_id})
        return _to_key(rows[0]) if rows else None

    async def owner(self, digest: str) -> KeyOwner | None:
        def read(row: Row) -> KeyOwner:
            return KeyOwner(key=_to_key(row), user=_to_user(row, len(_KEY)))

        return await self._one(_OWNER, {"digest": digest}, read)

    async def touch(self, key_id: int, now: datetime) -> None:
        await self._write(_TOUCH, {"key_id": key_id, "now": now})
