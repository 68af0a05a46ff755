"""The answers the outer middleware (http/middleware.py) writes itself: the error envelope for
errors no handler answered (router 404/405, a timeout, a request cancelled at shutdown), and the
plumbing of HEAD and `Allow`."""

import asyncio
from collections.abc import Sequence
from typing import Any, Final

import msgspec
import structlog
from litestar.types import Message, Send

from taskservice.http.errors import RETRY_AFTER_SECONDS, ErrorBody, ErrorEnvelope

Headers = tuple[tuple[bytes, bytes], ...]
_log = structlog.get_logger("taskservice.http")


_GENERIC_ERRORS: Final = {
    404: ("not_found", "No such route."),
    405: ("method_not_allowed", "This route does not support the method."),
    500: ("internal_error", "An unexpected error occurred."),
    503: ("service_unavailable", "The service is stopping; retry the request."),
    504: ("timeout", "The request took longer than the service allows."),
}


async def answer_cancelled(send: Send, status: int, headers: Headers, request_id: str) -> int:
    """Not our deadline (that one ends as TimeoutError): the server cancels what still runs when
    SHUTDOWN_TIMEOUT is over. The work has unwound (a transaction rolled back), so the caller may
    retry: 503, unless a response had started. The request ends here, answered: nothing above
    this task waits for it, so the cancellation stops here. Returns the status sent."""
    current = asyncio.current_task()
    if current is not None:
        current.uncancel()
    _log.warning("request_cancelled_at_shutdown", response_started=status != 0)
    if status != 0:
        return status
    stopping = ((b"retry-after", RETRY_AFTER_SECONDS.encode()), (b"connection", b"close"))
    await send_error(send, 503, (*headers, *stopping), request_id)
    return 503


def without_body(send: Send) -> Send:
    """`send` for a HEAD request: the GET's response start as it is, none of its body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head


def allow_head(headers: list[tuple[bytes, bytes]]) -> None:
    """Add HEAD to an `Allow` header that lists GET, in place (methods sorted, as everywhere)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"allow":
            methods = {m.strip() for m in value.decode("latin-1").split(",") if m.strip()}
            if "GET" in methods and "HEAD" not in methods:
                headers[index] = (name, ", ".join(sorted(methods | {"HEAD"})).encode("latin-1"))
            return


async def sent_already() -> None:
    """What a message of a replaced response awaits: it is not sent."""


def is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


async def send_error(
    send: Send,
    status: int,
    extra: Sequence[tuple[bytes, bytes]],
    request_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    code, message = _GENERIC_ERRORS.get(
        status, ("internal_error" if status >= 500 else "http_error", "Request failed.")
    )
    body = msgspec.json.encode(
        ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details or {}, request_id=request_id))
    )
    start: Any = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
