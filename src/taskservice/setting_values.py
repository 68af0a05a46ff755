"""Converters from a setting's raw text to its value; each raises ValueError saying what it accepts."""

import enum
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def enum_of(kind: type[enum.StrEnum], *, upper: bool = False, lower: bool = False) -> Callable[[str], Any]:
    allowed = ", ".join(member.value for member in kind)

    def convert(raw: str) -> Any:
        try:
            return kind(raw.upper() if upper else raw.lower() if lower else raw)
        except ValueError:
            raise ValueError(f"expected one of {allowed}") from None

    return convert


def whole_number(low: int, high: int) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        if not raw.isascii() or not raw.lstrip("-").isdigit():
            raise ValueError(f"expected a whole number from {low} to {high}")
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return convert


def seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number of seconds greater than 0") from None
    if not 0 < value <= 3600:
        raise ValueError("expected a number of seconds greater than 0 and at most 3600")
    return value


def seconds_or_zero(raw: str) -> float:
    """Seconds from 0 (off) to 3600."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number of seconds from 0 to 3600") from None
    if not 0 <= value <= 3600:
        raise ValueError("expected a number of seconds from 0 to 3600")
    return value


class Secret(str):
    """A secret setting: its repr (in a traceback, a debugger, a printed Settings) hides it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"


SECRET_MIN_BYTES = 32


def secret(raw: str) -> Secret | None:
    """Empty: none (as if unset, so that a later .env file can remove one)."""
    if not raw:
        return None
    if len(raw.encode()) < SECRET_MIN_BYTES:
        raise ValueError(
            f"expected at least {SECRET_MIN_BYTES} bytes of random text "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    return Secret(raw)


def boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def host_name(raw: str) -> str:
    if not raw or any(c.isspace() for c in raw):
        raise ValueError("expected an address or host name to listen on, such as 127.0.0.1 or 0.0.0.0")
    return raw


def path_prefix(raw: str) -> str:
    if raw == "/":
        return ""
    if not raw.startswith("/") or raw.endswith("/") or "//" in raw or " " in raw:
        raise ValueError("expected a path like /v1 (leading slash, no trailing slash), or / for none")
    return raw


def origins(raw: str) -> tuple[str, ...]:
    """Comma-separated browser origins (scheme://host[:port], as a browser sends `Origin`); empty: none,
    so a later .env file can turn CORS off again."""
    if not raw:
        return ()
    allowed = tuple(part.strip() for part in raw.split(","))
    for origin in allowed:
        try:
            parts = urlsplit(origin)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or origin != f"{parts.scheme}://{parts.netloc}"
            or "@" in origin
            or "*" in origin
            or origin != origin.lower()
        ):
            # Litestar compares origins as written: a path, a capital or a wildcard would never match.
            raise ValueError(
                f"expected lower-case origins such as https://app.example.com (no path), separated by commas; "
                f"not {origin!r}"
            )
    return allowed
