"""Slow and oversized requests against the real server: the probes that found them held forever
(slowloris, a short body, an idle connection) or accepted (100 KB of headers, 5,000 headers) now
end within their bound, with the envelope; headers up to MAX_HEADER_BYTES (16 KiB) are served.
Short timeouts keep it quick; the only timing asserted is "closed within the bound plus slack"."""

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.process import Service, executable, running

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
IDLE_TIMEOUT = 5.0  # server/run.py
SLACK = 8.0  # two busy cores shared with other test runs
SLOW_CLIENTS = 200
MAX_HEADER_BYTES = 16 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("limits")
    environ = {
        "APP_ENV": "qa",
        "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
        "DATABASE_URL": "sqlite+aiosqlite:///tasks.db",
        "HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "BODY_TIMEOUT": str(BODY_TIMEOUT),
    }
    with running(directory, environ, argv=[executable("taskservice")]) as started:
        yield started


def connect(server: Service) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def exchange(server: Service, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` whole; the status, headers and body of the answer (read to the close)."""
    with connect(server) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return parse(received)


def parse(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    return int(status_line.split(" ")[1]), headers, body


def assert_envelope(status: int, headers: dict[str, str], body: bytes, expected: int, code: str) -> None:
    assert status == expected, body
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert error["request_id"] == headers["x-request-id"]


def get_with_fields(fields: list[tuple[str, str]], path: str = "/v1/tasks") -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return f"GET {path} HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode()


def fields_totalling(total: int) -> list[tuple[str, str]]:
    """Host and one padding field that, with get_with_fields' Connection, sum to `total` bytes
    of header lines ("name: value" and CRLF)."""
    fixed = [("Host", "127.0.0.1"), ("Connection", "close")]
    used = sum(len(name) + len(value) + 4 for name, value in fixed)
    return [fixed[0], ("X-Padding", "p" * (total - used - len("X-Padding") - 4))]


def test_headers_of_16_kib_in_all_are_served_and_a_10_kb_bearer_reaches_the_app(server: Service) -> None:
    status, _, _ = exchange(server, get_with_fields(fields_totalling(MAX_HEADER_BYTES), "/healthz"))
    assert status == 200
    bearer = [("Host", "127.0.0.1"), ("Authorization", "Bearer " + "t" * 10_000)]
    status, headers, body = exchange(server, get_with_fields(bearer))
    # Answered by the app, which refuses the credential: the envelope, its request id, security headers.
    assert_envelope(status, headers, body, 401, "unauthenticated")
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("fields", "path", "expected", "code"),
    [
        (fields_totalling(MAX_HEADER_BYTES + 1), "/v1/tasks", 431, "headers_too_large"),
        ([("Host", "x"), ("X-Big", "b" * 100_000)], "/v1/tasks", 431, "headers_too_large"),
        ([("Host", "x"), *((f"X-H{n}", "v") for n in range(5_000))], "/v1/tasks", 431, "headers_too_large"),
        ([("Host", "x")], "/v1/tasks?q=" + "a" * 9_000, 414, "uri_too_long"),
    ],
    ids=["16 KiB + 1", "100 KB", "5,000 fields", "9 KB target"],
)
def test_oversized_heads_are_refused_with_the_envelope(
    server: Service, fields: list[tuple[str, str]], path: str, expected: int, code: str
) -> None:
    # The request may not have been read whole when the answer comes: send what fits, read the answer.
    with connect(server) as connection:
        with contextlib.suppress(ConnectionResetError):
            connection.sendall(get_with_fields(fields, path))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert_envelope(*parse(received), expected, code)


def test_slowloris_connections_are_all_closed_within_the_header_timeout(server: Service) -> None:
    connections = [connect(server) for _ in range(SLOW_CLIENTS)]
    for connection in connections:
        connection.setblocking(False)
    request = b"GET /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 1000
    open_ones = dict(enumerate(connections))
    answers: dict[int, bytes] = {}
    started = time.monotonic()
    sent = 0
    while open_ones and time.monotonic() < started + HEADER_TIMEOUT + SLACK:
        for number, connection in list(open_ones.items()):
            try:
                data = connection.recv(65536)
            except BlockingIOError:  # still open, nothing to read: one more byte, never the head's end
                with contextlib.suppress(OSError):  # closed meanwhile: the next recv says so
                    connection.send(request[sent : sent + 1])
                continue
            except OSError:
                data = b""  # reset
            answers[number] = answers.get(number, b"") + data
            if not data:  # the server's end (after its answer)
                del open_ones[number]
        sent += 1
        time.sleep(1)
    for connection in connections:
        connection.close()
    assert not open_ones, f"{len(open_ones)} of {SLOW_CLIENTS} still open"
    statuses = [parse(answer)[0] for answer in answers.values() if answer]
    assert statuses == [408] * SLOW_CLIENTS  # each told why, before its connection was closed


def test_a_body_shorter_than_its_content_length_is_answered_408_within_the_body_timeout(server: Service) -> None:
    body = json.dumps({"title": "short body", "priority": 1}).encode()
    head = (
        f"POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {server.headers['Authorization']}\r\nContent-Length: {len(body) + 50}\r\n\r\n"
    ).encode()
    with connect(server) as connection:
        connection.settimeout(BODY_TIMEOUT + SLACK)
        connection.sendall(head + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status, headers, answer = parse(received)
    assert_envelope(status, headers, answer, 408, "request_timeout")
    assert headers["connection"] == "close"


def test_a_connection_that_never_sends_is_closed_after_the_idle_timeout(server: Service) -> None:
    with connect(server) as connection:
        connection.settimeout(IDLE_TIMEOUT + SLACK)
        assert connection.recv(1) == b""  # closed, nothing sent: there was no request to answer
