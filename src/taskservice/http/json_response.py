"""A JSON response whose body the handler already encoded, sent as it is.

Litestar turns a returned `Response` into its ASGI response per request: it merges layered
headers and cookies, resolves the media type and fills a `MutableScopeHeaders`. Returning the
`Task` for Litestar to encode cost 21 µs of a GET's 82 µs of CPU in bench/inprocess.py, +35 %
CPU per GET in bench/compare.py (2026-12-06). This class is already the
ASGI response: Litestar's handler for `Response` return types calls `to_asgi_response`, which
returns it unchanged. Handlers keep `Response[Task]` as their annotation, so the OpenAPI
document still describes the body; the tests compare the bytes and the headers with Litestar's.
"""

from typing import Any, Final

from litestar.types import Receive, Scope, Send

_JSON: Final = (b"content-type", b"application/json")


class EncodedJson:
    """`body` (JSON bytes) with `status_code`, its content type and length, and `headers`."""

    __slots__ = ("_body", "_start")

    def __init__(self, body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        raw_headers = [_JSON, (b"content-length", str(len(body)).encode())]
        for name, value in (headers or {}).items():
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        self._body = body
        self._start: dict[str, Any] = {"type": "http.response.start", "status": status_code, "headers": raw_headers}

    @property
    def body(self) -> bytes:
        return self._body

    def to_asgi_response(self, *_: object, **__: object) -> "EncodedJson":
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002 - the ASGI signature
        await send(self._start)  # pyright: ignore[reportArgumentType]
        await send({"type": "http.response.body", "body": self._body, "more_body": False})
