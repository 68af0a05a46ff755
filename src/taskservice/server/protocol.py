"""uvicorn's httptools protocol with the connection-level bounds it lacks (uvicorn 0.54):

- **Idle**: a connection is closed after `timeout_keep_alive` seconds without a request, from
  the moment it is accepted (uvicorn arms that timer only after a first response, so a
  connection that never sends was held forever).
- **Head read time**: a request's line and headers must all arrive within `header_timeout`
  seconds of its first byte, else `408 request_timeout` and the connection is closed (uvicorn
  cancels its only timer on every byte received: a byte a second held a connection forever).
- **Head size**: header fields of at most `max_header_bytes` in all (names, values, ": " and
  CRLF) and at most `max_header_count` of them, else `431 headers_too_large`; a request target
  of at most `max_url_bytes`, else `414 uri_too_long` (httptools has no limit at all; h11, which
  has one, for the whole head, parses several times slower).
- **Stop**: a connection accepted but not yet read when the server stops is served, not closed:
  its request may already be in the socket (uvicorn closed it, which resets the client after it
  sent). The idle timer closes it if nothing comes.

All of these answer before the app sees a request, so they write their JSON error envelope
here. The body's read time is bounded in the app (http/body_deadline.py), where a request is.
"""

from asyncio import TimerHandle, Transport
from typing import Any, Final, cast

import msgspec
import structlog
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from taskservice.http.errors import ErrorBody, ErrorEnvelope
from taskservice.http.request_id import new_request_id

_log = structlog.get_logger("taskservice.server")
_REFUSALS: Final = {
    408: ("request_timeout", "The request's headers did not arrive in time."),
    414: ("uri_too_long", "The request's target (path and query) is too long."),
    431: ("headers_too_large", "The request's headers are too large."),
}
# What llhttp adds around each header it hands over: ": " and CRLF.
_PER_HEADER: Final = 4
# After a refusal, how long what the client still sends is read and dropped before the close. A
# close with unread input sends a reset, which can destroy the answer before the client reads it
# (nginx's lingering close, for the same reason).
_LINGER_SECONDS: Final = 2.0


class _HeadTooLarge(Exception):
    """Raised in a parser callback: httptools stops parsing and uvicorn calls send_400_response,
    which answers with the status set in `_refusal` instead."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        *args: Any,
        header_timeout: float,
        max_header_bytes: int,
        max_header_count: int,
        max_url_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._max_header_bytes = max_header_bytes
        self._max_header_count = max_header_count
        self._max_url_bytes = max_url_bytes
        self._url_bytes = self._header_bytes = self._header_fields = 0
        self._head_timer: TimerHandle | None = None
        self._in_head = False  # between a request's first byte and the end of its headers
        self._refusal: int | None = None  # set when a head is over a limit: 414 or 431
        self._refused = False  # answered and half-closed: only lingering now
        self._stopping = False

    def connection_made(self, transport: Transport) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    # Per request, the common case costs little: a head that arrives in one read never arms the
    # header timer, and on_url/on_header do uvicorn's work inline (no extra call) plus a count.
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering after a refusal: what the client still sends is dropped
        super().data_received(data)
        if self._in_head and self._head_timer is None and not self.transport.is_closing():
            # A head begun but not finished in this read (the one with its first byte, as a rule).
            self._head_timer = self.loop.call_later(self._header_timeout, self._head_timed_out)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._url_bytes = self._header_bytes = self._header_fields = 0

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)  # httptools may hand the target over in pieces
        if self._url_bytes > self._max_url_bytes:
            self._over_limit(414)
        self.url += url  # uvicorn's on_url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_fields += 1
        self._header_bytes += len(name) + len(value) + _PER_HEADER
        if self._header_bytes > self._max_header_bytes or self._header_fields > self._max_header_count:
            self._over_limit(431)
        # uvicorn's on_header
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._cancel_head_timer()
        super().on_headers_complete()
        if self._stopping:
            cycle = cast("RequestResponseCycle | None", self.cycle)  # uvicorn's annotation omits its None
            if cycle is not None:
                cycle.keep_alive = False  # the stop's Connection: close

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._refuse(self._refusal)
        else:
            super().send_400_response(msg)

    def shutdown(self) -> None:
        # Accepted, nothing read yet (or only part of a head): its request may be on the way.
        if cast("RequestResponseCycle | None", self.cycle) is None:
            self._stopping = True
            return
        super().shutdown()

    def _over_limit(self, status: int) -> None:
        self._refusal = status
        raise _HeadTooLarge

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._refuse(408)

    def _refuse(self, status: int) -> None:
        """Answer with the envelope and close: the request never reached the app."""
        code, message = _REFUSALS[status]
        request_id = new_request_id()
        _log.warning("request_refused", status=status, reason=code, client=_client(self.client), request_id=request_id)
        body = msgspec.json.encode(ErrorEnvelope(ErrorBody(code, message, {}, request_id)))
        head = [STATUS_LINE[status]]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"x-request-id: " + request_id.encode("ascii") + b"\r\n",
            b"x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\nx-frame-options: DENY\r\n",
            b"cache-control: no-store\r\nconnection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()  # the answer, then FIN; the client's end or the linger closes it
        self._refused = True
        self._cancel_head_timer()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)


def _client(address: tuple[str, int] | None) -> str | None:
    return f"{address[0]}:{address[1]}" if address else None
