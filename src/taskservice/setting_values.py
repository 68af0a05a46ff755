"""Converters from a setting's raw text to its value; each raises ValueError saying what it accepts."""

import enum
from collections.abc import Callable
from typing import Any, Final, Literal
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


RateUnit = Literal["second", "minute", "hour", "day"]
_RATE_UNITS: Final[dict[str, RateUnit]] = {"second": "second", "minute": "minute", "hour": "hour", "day": "day"}
MAX_RATE: Final = 1_000_000_000


def rate_limit(raw: str) -> tuple[RateUnit, int] | None:
    """`N/second|minute|hour|day` as (unit, N), as Litestar's rate limit takes it; `off`: None."""
    if raw.lower() == "off":
        return None
    count, _, unit = raw.lower().partition("/")
    if not count.isascii() or not count.isdigit() or not 1 <= int(count) <= MAX_RATE or unit not in _RATE_UNITS:
        raise ValueError(f"expected N/second, N/minute, N/hour or N/day with N from 1 to {MAX_RATE}, or off")
    return _RATE_UNITS[unit], int(count)


def rate_limit_store(raw: str) -> str:
    """`memory`, or the URL of a Redis server (redis:// or rediss://, host, optional port and /db)."""
    if raw.lower() == "memory":
        return "memory"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("redis", "rediss")
        or not parts.hostname
        or not (parts.path in ("", "/") or parts.path[1:].isdigit())
    ):
        raise ValueError("expected memory or a Redis URL such as redis://127.0.0.1:6379/0")
    return raw
