"""The API-key use cases: issue a key (its secret shown this once), list a user's keys, revoke one.

Keys are made by a `KeyMaker` the composition root passes in (adapters/credentials.new_api_key):
the use cases never see how a key is formatted or digested, only the three strings it yields.
"""

from collections.abc import Callable

import msgspec

from taskservice.domain.errors import ApiKeyNotFound, UserNotFound
from taskservice.domain.user import ApiKey, Caller, check_key_name
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import UnitOfWork
from taskservice.usecases.users import require_admin_or_self

# A fresh key: (the secret, shown once; its listing prefix; its digest, the only thing stored).
KeyMaker = Callable[[], tuple[str, str, str]]


class IssuedKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just stored, with its secret: the only moment the secret exists outside the caller."""

    key: ApiKey
    secret: str


async def issue_key(work: UnitOfWork, make_key: KeyMaker, user_id: int, name: str, clock: Clock) -> IssuedKey:
    """Store a new key of `user_id` in `work` (not committed). Raises `UserNotFound`."""
    secret, prefix, digest = make_key()
    key = await work.api_keys.add(user_id, name, prefix, digest, clock.now())
    return IssuedKey(key=key, secret=secret)


class ApiKeyUseCases:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], clock: Clock, make_key: KeyMaker) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._make_key = make_key

    async def create(self, caller: Caller, user_id: int, name: str) -> IssuedKey:
        """A new key for the user (admin, or the user itself). Raises `Forbidden`, `InvalidField`,
        `UserNotFound`."""
        require_admin_or_self(caller, user_id)
        name = check_key_name(name)
        async with self._unit_of_work() as work:
            if await work.users.get(user_id) is None:
                raise UserNotFound(user_id)
            issued = await issue_key(work, self._make_key, user_id, name, self._clock)
            await work.commit()
        return issued

    async def list(self, caller: Caller, user_id: int) -> list[ApiKey]:
        """The user's keys, ordered by id, without secrets (admin, or the user itself).
        Raises `Forbidden`, `UserNotFound`."""
        require_admin_or_self(caller, user_id)
        async with self._unit_of_work() as work:
            if await work.users.get(user_id) is None:
                raise UserNotFound(user_id)
            return await work.api_keys.list_for(user_id)

    async def revoke(self, caller: Caller, key_id: int) -> None:
        """Delete a key (admin, or the key's user). Another user's key is `ApiKeyNotFound` to a
        caller who is not admin, exactly as a missing one, so that key ids cannot be probed."""
        async with self._unit_of_work() as work:
            key = await work.api_keys.get(key_id)
            if key is None or not (caller.is_admin or key.user_id == caller.user_id):
                raise ApiKeyNotFound(key_id)
            if await work.api_keys.remove(key_id) is None:  # revoked meanwhile by another request
                raise ApiKeyNotFound(key_id)
            await work.commit()
