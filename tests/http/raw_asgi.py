"""Drive the ASGI app directly, for request shapes a test client cannot send (a body in parts, a
client gone halfway)."""

from typing import Any

from litestar.types import ASGIApp, Message


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    """The scope uvicorn would give the app for this request, from 127.0.0.1."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def drive(
    app: ASGIApp, method: str, path: str, incoming: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]
) -> list[Message]:
    """Send one request whose `receive` yields `incoming` in order; the messages the app sent."""
    sent: list[Message] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = http_scope(method, path, headers)
    await app(scope, receive, send)  # pyright: ignore[reportArgumentType]
    return sent
