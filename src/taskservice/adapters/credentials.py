"""Secrets: Argon2id password hashes (argon2-cffi, in a thread), JWT access tokens (PyJWT, HS256)
and API keys (`tsk_` + 43 URL-safe characters of 32 random bytes).

An API key is stored as its SHA-256 digest: it carries 256 random bits, so unlike a password it
needs no slow hash, and looking it up by digest compares no secret byte by byte (nothing to time).
"""

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

import argon2
import jwt

from taskservice.domain.user import Caller
from taskservice.ports.credentials import AccessToken, TokenClaims

API_KEY_PREFIX: Final = "tsk_"
_KEY_BYTES: Final = 32
# Shown in listings to tell keys apart: the scheme plus 8 characters of the secret (48 bits).
_SHOWN_PREFIX_LENGTH: Final = len(API_KEY_PREFIX) + 8
# Longer than any credential we issue (a JWT here is ~250 bytes); anything larger is refused unread.
MAX_CREDENTIAL_LENGTH: Final = 4096
_ALGORITHM: Final = "HS256"


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (the key, shown once; its listing prefix; its digest, stored)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(_KEY_BYTES)
    return key, key[:_SHOWN_PREFIX_LENGTH], key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


class Argon2Hasher:
    """The `PasswordHasher` port on argon2-cffi's Argon2id defaults (RFC 9106's low-memory profile).

    Hashing takes tens of milliseconds of CPU: it runs in a worker thread so that other requests
    go on meanwhile (argon2-cffi releases the GIL while it hashes).
    """

    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher()
        # Checked when the email is unknown or the user has no password, to take the same time.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except argon2.exceptions.VerificationError:
            return False
        except argon2.exceptions.InvalidHashError:
            return False


class JwtCodec:
    """The `TokenCodec` port on PyJWT: HS256 only (so `alg: none` and other algorithms are refused),
    with `sub`, `role`, `iat`, `exp` and `jti` required."""

    def __init__(self, secret: str, ttl: int) -> None:
        self._secret = secret
        self._ttl = ttl

    def issue(self, caller: Caller, now: datetime) -> AccessToken:
        claims = {
            "sub": str(caller.user_id),
            "role": caller.role.value,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._ttl)).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._secret, algorithm=_ALGORITHM)  # pyright: ignore[reportUnknownMemberType]
        return AccessToken(token=token, expires_in=self._ttl)

    def read(self, token: str) -> TokenClaims | None:
        if len(token) > MAX_CREDENTIAL_LENGTH:
            return None
        try:
            # PyJWT's key type names `cryptography` classes, which are not installed (HS256 needs none).
            claims = jwt.decode(  # pyright: ignore[reportUnknownMemberType]
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": ["sub", "role", "iat", "exp", "jti"]},
            )
        except jwt.PyJWTError:
            return None
        subject, role, token_id = claims["sub"], claims["role"], claims["jti"]
        if not (
            isinstance(subject, str) and subject.isdecimal() and isinstance(role, str) and isinstance(token_id, str)
        ):
            return None
        return TokenClaims(
            user_id=int(subject),
            role=role,
            token_id=token_id,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
