"""Wire schemas for request bodies, and their strict decoding.

Bodies are decoded here with msgspec in strict mode rather than by Litestar's `data`
parameter: Litestar converts request data leniently (`"3"` and `3.0` would become the
priority 3), which the contract forbids: a JSON number written with a fraction or exponent is
never an integer here. Of duplicate keys in an object, the last one wins. The OpenAPI
document still describes these structs (see `http/openapi.py`).
"""

import re
from collections.abc import Iterable
from typing import Annotated, Any, Final, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Receive

from taskservice.domain.task import (
    DESCRIPTION_MAX_LENGTH,
    PRIORITY_MAX,
    PRIORITY_MIN,
    TITLE_MAX_LENGTH,
    TaskChanges,
    TaskDraft,
    TaskStatus,
    make_changes,
    make_draft,
)
from taskservice.http.errors import (
    ClientDisconnected,
    FieldError,
    ReadOnlyField,
    RequestValidationError,
    UnsupportedMediaType,
)

READ_ONLY_FIELDS: Final = ("id", "created_at", "updated_at", "completed_at", "version", "created_by", "updated_by")

# What str.strip() trims (every character with str.isspace()), as regex escapes that Python,
# ECMA-262 and Rust regexes read alike. The patterns below document the domain's rules in the
# OpenAPI schema; the domain enforces them (with clearer messages), a test checks they agree.
TRIMMED: Final = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def trimmed_text_pattern(max_length: int) -> str:
    """Text that is 1–`max_length` characters without NUL once its outer whitespace is trimmed."""
    return rf"^[{TRIMMED}]*[^{TRIMMED}\x00]([^\x00]{{0,{max_length - 2}}}[^{TRIMMED}\x00])?[{TRIMMED}]*$"


TITLE_PATTERN: Final = trimmed_text_pattern(TITLE_MAX_LENGTH)
NO_NUL_PATTERN: Final = r"^[^\x00]*$"

Title = Annotated[
    str,
    msgspec.Meta(
        description=(
            f"Outer whitespace is trimmed; 1–{TITLE_MAX_LENGTH} characters after trimming; no NUL. "
            "Unique by its trimmed, casefolded form."
        ),
        examples=["Ship taskservice"],
        extra_json_schema={"pattern": TITLE_PATTERN},
    ),
]
Description = Annotated[
    str,
    msgspec.Meta(
        max_length=DESCRIPTION_MAX_LENGTH,
        description="No NUL characters.",
        extra_json_schema={"pattern": NO_NUL_PATTERN},
    ),
]


# JSON Schema's `integer` admits 5.0, which this API refuses (strict types); listing the values
# keeps schema-driven clients and fuzzers to the integers themselves.
Priority = Annotated[
    int,
    msgspec.Meta(
        ge=PRIORITY_MIN,
        le=PRIORITY_MAX,
        description="1 (lowest) to 5 (highest); a JSON integer (5.0 is refused).",
        extra_json_schema={"enum": list(range(PRIORITY_MIN, PRIORITY_MAX + 1))},
    ),
]


class TaskCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of POST and PUT. Fields left out take their create defaults."""

    title: Title
    priority: Priority
    description: Description | None = None
    status: TaskStatus = TaskStatus.NEW

    def to_draft(self) -> TaskDraft:
        return make_draft(title=self.title, priority=self.priority, description=self.description, status=self.status)


class TaskPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of PATCH: only the fields present change; `description: null` clears it."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType | None = msgspec.UNSET
    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET

    def to_changes(self) -> TaskChanges:
        return make_changes(title=self.title, description=self.description, status=self.status, priority=self.priority)


BodyT = TypeVar("BodyT", bound=msgspec.Struct)

_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `(?P<name>[^`]*)`")


async def read_body(request: Request[Any, Any, Any], body_type: type[BodyT], *, max_bytes: int) -> BodyT:
    """Decode the request body strictly into `body_type`, or raise the contract's error."""
    content_type, announced = _framing(request.scope["headers"])
    if content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaType(content_type)
    if announced is not None and announced > max_bytes:
        raise RequestEntityTooLarge  # before reading any of it
    body = await _receive_body(request.receive, max_bytes)
    decoder = _decoders.get(body_type)
    if decoder is None:
        decoder = _decoders[body_type] = msgspec.json.Decoder(body_type)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as error:
        _raise_read_only(body)
        raise RequestValidationError([_field_error(str(error))]) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        # msgspec raises UnicodeDecodeError, not DecodeError, for invalid UTF-8 inside a string.
        message = "The body is empty; expected a JSON object." if not body else f"Malformed JSON: {error}"
        raise RequestValidationError([FieldError("body", "", message)]) from None


def _framing(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, int | None]:
    """The first Content-Type and Content-Length, read off the raw ASGI headers.

    Litestar's `request.headers` builds a multidict of every header for this (~4 µs of a write,
    part of the figure in _receive_body).
    """
    content_type: str | None = None
    length: int | None = None
    for name, value in headers:
        if name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
        elif name == b"content-length" and length is None and value.isdigit():
            length = int(value)
    return content_type, length


async def _receive_body(receive: Receive, max_bytes: int) -> bytes:
    """The whole body, refused (413) once it grows past `max_bytes`; ClientDisconnected if the
    client goes away before its end.

    What `request.body()` does, without its async generator and header parsing: reading a
    small body through Litestar (`request.headers` + `request.body()`) cost ~15 µs of a POST's
    ~100 µs of CPU in bench/inprocess.py (2026-12-06), and ~15 µs in the running server
    (docs/performance.md). The server (uvicorn) has already checked the framing.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnected  # `http.disconnect`: answered 499, not a server error
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _raise_read_only(body: bytes) -> None:
    """A server-owned field anywhere at the top level wins over other errors, whatever its position."""
    document = _any_object(body)
    for name in READ_ONLY_FIELDS:
        if document is not None and name in document:
            raise ReadOnlyField(name)


def _any_object(body: bytes) -> dict[str, Any] | None:
    """The body as an untyped JSON object, or None if it is not one.

    Called after the typed decoder refused the body, which stops at the first wrong type: the
    rest may still be malformed (`7x`), not UTF-8, or nested deeper than msgspec recurses.
    """
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    return document if isinstance(document, dict) else None  # pyright: ignore[reportUnknownVariableType]


def _field_error(message: str) -> FieldError:
    path = ""
    if match := _PATH.search(message):
        path = match["path"]
        message = message[: match.start()]
    if match := _NAMED_FIELD.search(message):
        path = f"{path}.{match['name']}"
    field = path.lstrip(".").replace("[", ".").replace("]", "")
    return FieldError("body", field, message.replace("`", ""))
