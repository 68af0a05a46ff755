"""The current request's id: set by the HTTP layer, read by handlers, error bodies and log lines.

A plain ContextVar in a module of its own, so that the log pipeline (logs.py) and the HTTP layer
share it without importing each other. Each request runs in its own asyncio task, whose context
is a copy: a value set for one request is never seen by another.
"""

from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request being handled, or "" outside a request."""
    return _request_id.get()


def set_request_id(request_id: str) -> None:
    _request_id.set(request_id)
