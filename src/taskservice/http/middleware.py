"""The outer ASGI wrapper: request id, one access line, a last-resort error envelope, HEAD, and
the request timeout.

It wraps the whole Litestar app rather than sitting in Litestar's middleware stack, because
Litestar's router answers unknown routes (404) and wrong methods (405) before app middleware
runs; only an outer wrapper sees every request.

HEAD is answered here, for every GET route at once (the /schema pages included): the request
runs as a GET and the body is dropped, so status and headers (Content-Length of the GET body,
Location, the error envelope's headers) are the GET's. Litestar's own `@head` handlers must
return no body (it refuses any other return type at start-up), so each would have to rebuild
the GET's headers by hand, and Litestar never strips the body of a GET handler that also takes
HEAD. Since this wrapper answers HEAD, it also adds HEAD to every `Allow` that lists GET (405s
and OPTIONS answers, Litestar's or ours).

The request timeout is here too, as the one place that sees every request: past it the
handling is cancelled (a unit of work in progress rolls back as it unwinds) and the caller gets
`504 timeout`, unless the response has started, which then just ends.
The security headers are added here too, for the same reason: a router 404 or 405 needs them
as much as any other response. So is each request's metric (`observe`, with the duration the
access line has), with the route template Litestar's router left in the scope, if it matched one.
So is the body's read time (http/body_deadline.py), and the answer
to a request the server cancels at the end of a graceful stop: `503 service_unavailable`, which
the caller may retry, not uvicorn's plain-text 500.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Final

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from taskservice.http.body_deadline import body_read_within
from taskservice.http.outer_responses import (
    Headers,
    allow_head,
    answer_cancelled,
    is_json,
    send_error,
    sent_already,
    without_body,
)
from taskservice.http.request_id import accepted, new_request_id
from taskservice.request_context import set_request_id

_HEADER: Final = b"x-request-id"
_SECURITY: Final[Headers] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# API answers are never to be stored by a browser or proxy; the /schema UI's script and style
# files may be (whatever Litestar's static files router sets).
_API_HEADERS: Final[Headers] = (*_SECURITY, (b"cache-control", b"no-store"))
_API_NAMES: Final = frozenset(name for name, _ in _API_HEADERS)
_log = structlog.get_logger("taskservice.http")


# Writes the one access line of a request from its method, path, status, the seconds it took and
# the client address as the ASGI scope gives it; the request id comes from request_context.
AccessLog = Callable[[str, str, int, float, "Sequence[Any] | None"], None]
# Counts a request from its method, route template (None: no route matched), status and seconds.
RequestObserver = Callable[[str, "str | None", int, float], None]


def structlog_access_log(level: str = "info") -> AccessLog:
    """The access line through structlog as configured now; the composition root passes the
    cheaper writer of the same JSON line in qa/prod (logs.access_log)."""
    logger = structlog.get_logger("taskservice.access").bind()
    log = getattr(logger, level)

    def write(method: str, path: str, status: int, seconds: float, client: Sequence[Any] | None) -> None:
        log(
            "request",
            method=method,
            path=path,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            client=f"{client[0]}:{client[1]}" if client else None,
        )

    return write


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        access_log: AccessLog | None = None,
        *,
        static_prefix: str | None = None,
        request_timeout: float | None = None,
        observe: RequestObserver | None = None,
        quiet_paths: Collection[str] = (),
        quiet_access_log: AccessLog | None = None,
        body_timeout: float | None = None,
    ) -> None:
        """`static_prefix`: the path under which static files are served, which may be cached.
        `quiet_paths` (probes, scrapes) write their access line with `quiet_access_log`, at DEBUG."""
        self.app = app
        self._access_log = access_log or structlog_access_log()
        self._static_prefix = static_prefix
        self._request_timeout = request_timeout
        self._observe = observe
        self._quiet_paths = frozenset(quiet_paths)
        self._quiet_access_log = quiet_access_log or structlog_access_log("debug")
        self._body_timeout = body_timeout

    def wrapped(
        self, outer: Callable[[ASGIApp], ASGIApp], inner: Callable[[ASGIApp], ASGIApp]
    ) -> "RequestContextMiddleware":
        """This middleware handling every request inside `outer` (around all of it, the access line
        included), with the app inside `inner`: how tracing.py puts each request's span around both.
        A subclass rather than a slot `__call__` goes through, so that unwrapped (tracing off) a
        request pays nothing for it."""
        return _Wrapped(self, outer, inner)

    def _extra_for(self, path: str) -> Headers:
        if self._static_prefix is not None and path.startswith(self._static_prefix):
            return _SECURITY
        return _API_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "HEAD":
            scope = {**scope, "method": "GET"}
            send = without_body(send)
        started = time.perf_counter()
        request_id = _request_id(scope["headers"])
        # Handlers, error bodies and every log line of this request read it from here.
        set_request_id(request_id)
        header = (_HEADER, request_id.encode("ascii"))
        extra = self._extra_for(scope["path"])
        status = 0
        replaced = False

        # A plain function handing back the awaitable of the send it wraps, not a coroutine of
        # its own: a response's two messages then cost no extra coroutine frame each.
        def send_with_id(message: Message) -> Awaitable[None]:
            nonlocal status, replaced
            if message["type"] == "http.response.start":
                status = message["status"]
                # No response of this app sets X-Request-ID itself: appended, never duplicated.
                # The security headers are appended unless the response already has one of them.
                headers = [*message.get("headers", ()), header]
                # ASGI header names are lower case: a set lookup per header, no lowercasing.
                if any(name in _API_NAMES for name, _ in headers):
                    present = {name for name, _ in headers}
                    headers += [pair for pair in extra if pair[0] not in present]
                else:
                    headers += extra
                if status == 405 or method == "OPTIONS":
                    allow_head(headers)
                if status >= 400 and not is_json(headers):
                    # Something answered an error without the envelope (Litestar's own HTML 404
                    # under /schema, for one): the contract promises the envelope on every error.
                    replaced = True
                    return send_error(send, status, (header, *extra), request_id)
                return send({**message, "headers": headers})
            if replaced:
                return sent_already()
            return send(message)

        receive = receive if self._body_timeout is None else body_read_within(receive, self._body_timeout)
        deadline = asyncio.timeout(self._request_timeout)
        try:
            async with deadline:
                await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            status = await answer_cancelled(send, status, (header, *extra), request_id)
        except Exception as error:  # noqa: BLE001 - last resort: the caller still gets an envelope
            timed_out = isinstance(error, TimeoutError) and deadline.expired()  # ours, not one of the app's
            if timed_out:
                # A started response cannot change its status: it just ends, cut short.
                _log.warning("request_timeout", timeout_seconds=self._request_timeout, response_started=status != 0)
            else:
                _log.exception("unhandled_exception_outside_app")
            if status == 0:
                status = 504 if timed_out else 500
                details = {"timeout_seconds": self._request_timeout} if timed_out else {}
                await send_error(send, status, (header, *extra), request_id, details)
        finally:
            self._done(method, scope, status, time.perf_counter() - started)

    def _done(self, method: str, scope: Mapping[str, Any], status: int, seconds: float) -> None:
        """Count the request and write its access line."""
        if self._observe is not None:
            self._observe(method, scope.get("path_template"), status, seconds)
        path = scope["path"]
        log = self._quiet_access_log if path in self._quiet_paths else self._access_log
        log(method, path, status, seconds, scope.get("client"))


class _Wrapped(RequestContextMiddleware):
    """`RequestContextMiddleware.wrapped`: the same middleware (every attribute copied, whatever
    its constructor takes), called through `outer`."""

    def __init__(
        self, base: RequestContextMiddleware, outer: Callable[[ASGIApp], ASGIApp], inner: Callable[[ASGIApp], ASGIApp]
    ) -> None:
        vars(self).update(vars(base))
        self.app = inner(base.app)
        self._outer = outer(super().__call__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A coroutine function, as servers (uvicorn) tell ASGI 3 from ASGI 2 by that.
        await self._outer(scope, receive, send)


def _request_id(headers: Sequence[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID if it is sane, else a new one."""
    for name, value in headers:
        if name == _HEADER:
            return accepted(value) or new_request_id()
    return new_request_id()
