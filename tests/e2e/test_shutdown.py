"""Graceful shutdown of the real process: requests in flight when the signal arrives all complete,
new connections are refused, queued events are delivered, and the process exits 0."""

import json
import signal
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.process import Service, executable, running

pytestmark = pytest.mark.e2e

IN_FLIGHT = 12
WAIT_SECONDS = 10.0


def environment(**extra: str) -> dict[str, str]:
    return {
        "APP_ENV": "qa",  # JSON lines, INFO: every line parses, access lines included
        "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
        "DATABASE_URL": "sqlite+aiosqlite:///tasks.db",
        **extra,
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Service]:
    with running(tmp_path, environment(SHUTDOWN_TIMEOUT="10"), argv=[executable("taskservice")]) as started:
        yield started


def start_create(port: int, number: int, headers: dict[str, str]) -> tuple[socket.socket, bytes]:
    """Send a POST's head and wait for `100 Continue`: the app is then handling it, waiting for its body."""
    body = json.dumps({"title": f"in flight {number}", "priority": 3}).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)
    head = (
        f"POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nX-Request-ID: flight-{number}\r\n"
        f"Authorization: {headers['Authorization']}\r\n\r\n"
    )
    connection.sendall(head.encode())
    interim = connection.recv(64)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    return connection, body


def finish(connection: socket.socket, body: bytes) -> bytes:
    with connection:
        connection.sendall(body)
        received = b""
        while chunk := connection.recv(65536):  # the server closes after responding: it is shutting down
            received += chunk
    return received


def wait_until_refused(port: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.05)
    raise AssertionError("the server still accepts connections after the signal")


def log_records(server: Service) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log().splitlines() if line.strip()]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_requests_in_flight_when_the_signal_arrives_all_complete_and_the_process_exits_0(
    server: Service, tmp_path: Path, signum: signal.Signals
) -> None:
    in_flight = [start_create(server.port, n, server.headers) for n in range(IN_FLIGHT)]

    server.signal(signum)
    wait_until_refused(server.port)  # stops accepting new connections first
    responses = [finish(connection, body) for connection, body in in_flight]

    assert [r.split(b"\r\n", 1)[0] for r in responses] == [b"HTTP/1.1 201 Created"] * IN_FLIGHT
    assert server.wait() == 0
    with sqlite3.connect(tmp_path / "tasks.db") as database:
        titles = {title for (title,) in database.execute("SELECT title FROM tasks")}
    assert titles == {f"in flight {n}" for n in range(IN_FLIGHT)}

    records = log_records(server)  # every line is JSON: nothing printed around the pipeline
    events = [r["event"] for r in records]
    flights = {f"flight-{n}" for n in range(IN_FLIGHT)}
    access = [r for r in records if r["logger"] == "taskservice.access" and r["request_id"] in flights]
    delivered = [r for r in records if r["logger"] == "taskservice.events" and r.get("request_id") in flights]
    assert {r["event"] for r in delivered} == {"TaskCreated"}
    assert sorted(r["status"] for r in access) == [201] * IN_FLIGHT
    assert {r["request_id"] for r in delivered} == flights  # the event queue was drained
    shutdown_complete = events.index("Application shutdown complete.")
    assert max(records.index(r) for r in delivered) < shutdown_complete
    assert events[-1].startswith("Finished server process")


def test_a_request_that_never_finishes_is_cut_off_after_the_shutdown_timeout(tmp_path: Path) -> None:
    with running(tmp_path, environment(SHUTDOWN_TIMEOUT="1"), argv=[executable("taskservice")]) as server:
        stalled, _ = start_create(server.port, 0, server.headers)  # its body never comes
        with stalled:
            server.signal(signal.SIGTERM)
            assert server.wait() == 0
        events = [r["event"] for r in log_records(server)]
    assert "Application shutdown complete." in events
