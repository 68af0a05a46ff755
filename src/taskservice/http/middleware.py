"""The outer ASGI wrapper: request id, one access line, and a last-resort error envelope.

It wraps the whole Litestar app rather than sitting in Litestar's middleware stack, because
Litestar's router answers unknown routes (404) and wrong methods (405) before app middleware
runs; only an outer wrapper sees every request.
"""

import time
from typing import Any, Final

import msgspec
import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from taskservice.http.errors import ErrorBody, ErrorEnvelope
from taskservice.http.request_id import accept_or_create, set_request_id

_HEADER: Final = b"x-request-id"
_access_log = structlog.get_logger("taskservice.access")
_log = structlog.get_logger("taskservice.http")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        offered = next((value for name, value in scope["headers"] if name == _HEADER), None)
        request_id = accept_or_create(offered)
        set_request_id(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        header = (_HEADER, request_id.encode("ascii"))
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _HEADER]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # noqa: BLE001 - last resort: the caller still gets an envelope
            _log.exception("unhandled_exception_outside_app")
            if status == 0:
                status = 500
                await _send_internal_error(send, header, request_id)
        finally:
            client = scope.get("client")
            _access_log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                client=f"{client[0]}:{client[1]}" if client else None,
            )
            structlog.contextvars.clear_contextvars()


async def _send_internal_error(send: Send, header: tuple[bytes, bytes], request_id: str) -> None:
    body = msgspec.json.encode(
        ErrorEnvelope(
            error=ErrorBody(
                code="internal_error", message="An unexpected error occurred.", details={}, request_id=request_id
            )
        )
    )
    start: Any = {
        "type": "http.response.start",
        "status": 500,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), header],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
