"""How secrets are made and checked, as the use cases see it: password hashing and access tokens.

API keys need no port: their format and digest are plain functions (domain-free, in
adapters/credentials.py) because a key is a high-entropy random secret, not a password.
"""

from datetime import datetime
from typing import Protocol

import msgspec

from taskservice.domain.user import Caller


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """An Argon2id hash of `password`, computed off the event loop."""
        ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches. With no hash (unknown email, or a user without a password)
        a dummy hash is checked anyway, so both cases take as long as a wrong password."""
        ...


class AccessToken(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    expires_in: int


class TokenClaims(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid access token says: whose it is and the role it was issued for."""

    user_id: int
    role: str
    token_id: str
    expires_at: datetime


class TokenCodec(Protocol):
    def issue(self, caller: Caller, now: datetime) -> AccessToken: ...

    def read(self, token: str) -> TokenClaims | None:
        """The claims of a token signed by us, unexpired; None for anything else."""
        ...
