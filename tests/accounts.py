"""Users and credentials for tests: a cheap Argon2id hasher, a token codec, the account use cases
over one store, and callers of each role."""

from typing import Final

import argon2
import msgspec

from taskservice.adapters.credentials import Argon2Hasher, JwtCodec, new_api_key
from taskservice.domain.user import Caller, Role
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import Store
from taskservice.usecases.api_keys import ApiKeyUseCases
from taskservice.usecases.first_admin import FirstAdmin
from taskservice.usecases.sign_in import SignIn
from taskservice.usecases.users import UserUseCases

TEST_SECRET: Final = "a-test-secret-of-at-least-32-bytes!"
PASSWORD: Final = "correct horse battery"


def cheap_hasher() -> Argon2Hasher:
    """Argon2id at its cheapest (a hash takes well under a millisecond): the real algorithm, fast."""
    return Argon2Hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class CountingHasher(Argon2Hasher):
    """The cheap hasher, counting the verifications it runs (what sign-in's timing rests on)."""

    def __init__(self) -> None:
        super().__init__(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        self.verified = 0

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified += 1
        return await super().verify(password_hash, password)


class Accounts(msgspec.Struct, kw_only=True):
    users: UserUseCases
    keys: ApiKeyUseCases
    sign_in: SignIn
    first_admin: FirstAdmin
    codec: JwtCodec
    hasher: CountingHasher


def accounts(store: Store, clock: Clock, *, token_ttl: int = 900) -> Accounts:
    hasher = CountingHasher()
    codec = JwtCodec(TEST_SECRET, token_ttl)
    return Accounts(
        users=UserUseCases(store.unit_of_work, clock, hasher),
        keys=ApiKeyUseCases(store.unit_of_work, clock, new_api_key),
        sign_in=SignIn(store.unit_of_work, clock, hasher, codec),
        first_admin=FirstAdmin(store.unit_of_work, clock, new_api_key),
        codec=codec,
        hasher=hasher,
    )


def caller(user_id: int, role: Role = Role.READER) -> Caller:
    return Caller(user_id=user_id, role=role)
