"""Converters from a setting's raw text to its value; each raises ValueError saying what it accepts."""

import enum
import ipaddress
from collections.abc import Callable
from typing import Any, Final, Literal
from urllib.parse import SplitResult, urlsplit


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


def _split_url(raw: str) -> SplitResult | None:
    """The URL's parts; None when it cannot be read, its port included."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def origins(raw: str) -> tuple[str, ...]:
    """Comma-separated browser origins (scheme://host[:port], as a browser sends `Origin`); empty: none,
    so a later .env file can turn CORS off again."""
    if not raw:
        return ()
    allowed = tuple(part.strip() for part in raw.split(","))
    for origin in allowed:
        parts = _split_url(origin)
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


_TOKEN_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


def bearer_token(raw: str) -> str | None:
    """A secret that callers send as `Authorization: Bearer <it>` (RFC 6750's characters); empty: none."""
    if not raw:
        return None
    if len(raw) < 16 or not set(raw) <= _TOKEN_CHARACTERS:
        raise ValueError("expected at least 16 characters of A-Z a-z 0-9 - . _ ~ + / = (e.g. openssl rand -hex 32)")
    return raw


def otlp_endpoint(raw: str) -> str | None:
    """The OTLP/HTTP base URL traces go to (spans are posted to its `/v1/traces`, as the OpenTelemetry
    SDK does with this variable); empty: none, tracing off, so a later .env file can turn it off again."""
    if not raw:
        return None
    parts = _split_url(raw)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("expected the collector's OTLP/HTTP base URL, such as http://otel-collector:4318")
    return raw.rstrip("/")


def trusted_proxies(raw: str) -> str:
    """`*`, or comma-separated IP addresses and networks (10.0.0.0/8), as uvicorn takes them."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise ValueError("expected *, or IP addresses and networks separated by commas")
    if parts == ["*"]:
        return "*"
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(f"expected *, or IP addresses and networks separated by commas; not {part!r}") from None
    return ",".join(parts)


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
    parts = _split_url(raw)
    if (
        parts is None
        or parts.scheme not in ("redis", "rediss")
        or not parts.hostname
        or not (parts.path in ("", "/") or parts.path[1:].isdigit())
    ):
        raise ValueError("expected memory or a Redis URL such as redis://127.0.0.1:6379/0")
    return raw
