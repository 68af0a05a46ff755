"""Wire schemas of the users, API-key and token routes, and the token request's two encodings.

Bodies are decoded strictly by http/schemas.read_body, like the task bodies: unknown fields and
wrong types are `422 validation_error`. A User is sent as the domain's `User` itself: its fields
are exactly the contract's. Secrets leave only in `CreatedKey.key` and `TokenResponse`.
"""

import urllib.parse
from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec

from taskservice.domain.user import (
    EMAIL_MAX_LENGTH,
    KEY_NAME_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    ApiKey,
    Role,
)
from taskservice.http.errors import FieldError, RequestValidationError
from taskservice.http.schemas import TRIMMED, trimmed_text_pattern
from taskservice.usecases.users import NewUser, UserUpdate

# The patterns document the domain's rules (domain/user.py), which enforce them with clearer
# messages; tests/schema checks that both accept exactly the same strings.
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=EMAIL_MAX_LENGTH,
        description="Outer whitespace is trimmed; one `@` with a non-empty part on each side, no whitespace or "
        f"NUL inside; at most {EMAIL_MAX_LENGTH} characters as sent. Unique by its trimmed, casefolded form.",
        examples=["ada@example.com"],
        extra_json_schema={"pattern": rf"^[{TRIMMED}]*[^{TRIMMED}@\x00]+@[^{TRIMMED}@\x00]+[{TRIMMED}]*$"},
    ),
]
Name = Annotated[
    str,
    msgspec.Meta(
        description=f"1–{NAME_MAX_LENGTH} characters after trimming; no NUL.",
        examples=["Ada"],
        extra_json_schema={"pattern": trimmed_text_pattern(NAME_MAX_LENGTH)},
    ),
]
Password = Annotated[
    str,
    msgspec.Meta(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description="Hashed with Argon2id; never shown again.",
    ),
]
KeyName = Annotated[
    str,
    msgspec.Meta(
        description=f"1–{KEY_NAME_MAX_LENGTH} characters after trimming; no NUL.",
        examples=["laptop"],
        extra_json_schema={"pattern": trimmed_text_pattern(KEY_NAME_MAX_LENGTH)},
    ),
]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of POST /users. Without `password`, the user signs in only with API keys."""

    email: Email
    name: Name
    role: Role
    password: Password | None = None

    def to_new_user(self) -> NewUser:
        return NewUser(email=self.email, name=self.name, role=self.role, password=self.password)


class UserPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of PATCH /users/{id}: only the fields present change. `role` and `active` are
    for an admin (and not on itself); a user may change its own `name` and `password`."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET

    def to_update(self) -> UserUpdate:
        return UserUpdate(name=self.name, role=self.role, active=self.active, password=self.password)


class KeyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of POST /users/{id}/api-keys."""

    name: KeyName


class KeyView(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as listed: never its secret; `prefix` tells keys apart."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyView":
        return cls(
            id=key.id, name=key.name, prefix=key.prefix, created_at=key.created_at, last_used_at=key.last_used_at
        )


class CreatedKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just created: `key` is the secret, shown in this response only."""

    id: int
    name: str
    prefix: str
    key: str
    created_at: datetime
    last_used_at: datetime | None


class KeyList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[KeyView]


class TokenJson(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The JSON form of a token request (the form body of the OAuth2 password grant is the other)."""

    username: Annotated[str, msgspec.Meta(description="The user's email.")]
    password: str
    grant_type: Literal["password"] = "password"


class TokenForm(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`application/x-www-form-urlencoded`, RFC 6749 §4.3.2; `scope` and `client_id` are accepted
    and ignored (this service has no scopes and no registered clients)."""

    grant_type: Literal["password"]
    username: str
    password: str
    scope: str | None = None
    client_id: str | None = None


class TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 6749 §5.1: a bearer access token and its lifetime in seconds."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the token's type, not a secret
    expires_in: int


FORM_TYPE: Final = "application/x-www-form-urlencoded"
_FORM_FIELDS: Final = frozenset(TokenForm.__struct_fields__)
_REQUIRED_FORM_FIELDS: Final = ("grant_type", "username", "password")


def parse_token_form(body: bytes) -> TokenForm:
    """A form body strictly: UTF-8, each field at most once (RFC 6749 §3.2), no unknown field,
    `grant_type=password`. Every problem is reported, by field."""
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode(), keep_blank_values=True, strict_parsing=bool(body), errors="strict", max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestValidationError([FieldError("body", "", f"Malformed form body: {error}")]) from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    errors = [FieldError("body", name, "unknown field") for name in sorted(values.keys() - _FORM_FIELDS)]
    errors += [FieldError("body", name, "must be given once") for name, given in values.items() if len(given) > 1]
    errors += [FieldError("body", name, "required") for name in _REQUIRED_FORM_FIELDS if name not in values]
    if "grant_type" in values and values["grant_type"] != ["password"]:
        errors.append(FieldError("body", "grant_type", "must be `password`: the only grant this service offers"))
    if errors:
        raise RequestValidationError(errors)
    return TokenForm(**{name: given[0] for name, given in values.items()})  # pyright: ignore[reportArgumentType]
