"""The current request's id, set by the outer middleware, read by handlers and error responses."""

import re
import uuid
from contextvars import ContextVar
from typing import Final

_SANE: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_current: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _current.get()


def set_request_id(request_id: str) -> None:
    _current.set(request_id)


def accept_or_create(offered: bytes | None) -> str:
    """Echo a caller's id when it is 1–128 of [A-Za-z0-9._:-]; otherwise a new UUIDv4."""
    if offered is not None:
        try:
            text = offered.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SANE.fullmatch(text):
            return text
    return str(uuid.uuid4())
