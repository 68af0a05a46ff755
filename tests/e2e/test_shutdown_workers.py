"""A graceful stop with several workers: clients keep sending POSTs on new connections while the
service gets SIGTERM. Every request a client sent gets a response; a connection that is not
served is refused before anything was sent, never reset after; and every 201 is stored."""

import json
import signal
import socket
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.process import MODULE, running

pytestmark = pytest.mark.e2e

WORKERS = 2
CLIENTS = 16
WARM_UP_CREATES = 2 * CLIENTS  # served before the signal: the clients are in full swing
CLIENT_SECONDS = 60.0  # a client that is never refused gives up after this (the test then fails)


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter[int])
    created: set[str] = field(default_factory=set[str])
    refused: int = 0
    lost: list[str] = field(default_factory=list[str])  # sent, then reset or closed without an answer

    def served(self) -> int:
        with self.lock:
            return self.statuses[201]


def create_once(port: int, title: str, authorization: str) -> tuple[str, int | None]:
    """One POST on a new connection: ("refused", None), ("answered", status) or ("lost", None)."""
    body = json.dumps({"title": title, "priority": 2}).encode()
    head = (
        f"POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {authorization}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    except ConnectionRefusedError:
        return "refused", None
    received = b""
    with connection:
        try:
            connection.sendall(head + body)
            while chunk := connection.recv(65536):
                received += chunk
        except OSError:  # reset (or a broken pipe) after the request was on its way
            return "lost", None
    if not received.startswith(b"HTTP/1.1 "):
        return "lost", None
    return "answered", int(received.split(b" ", 2)[1])


def client(port: int, authorization: str, number: int, outcomes: Outcomes) -> None:
    deadline = time.monotonic() + CLIENT_SECONDS
    sequence = 0
    while time.monotonic() < deadline:
        title = f"client {number} request {sequence}"
        sequence += 1
        outcome, status = create_once(port, title, authorization)
        with outcomes.lock:
            if outcome == "refused":
                outcomes.refused += 1
                return  # the service is gone: a client would now try another instance
            if outcome == "lost":
                outcomes.lost.append(title)
            else:
                assert status is not None
                outcomes.statuses[status] += 1
                if status == 201:
                    outcomes.created.add(title)


def test_sigterm_with_workers_answers_every_request_sent_and_refuses_the_rest(tmp_path: Path) -> None:
    environ = {
        "APP_ENV": "qa",
        "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
    }
    outcomes = Outcomes()
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=WORKERS) as service:
        clients = [
            threading.Thread(
                target=client, args=(service.port, service.headers["Authorization"], n, outcomes), daemon=True
            )
            for n in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        while outcomes.served() < WARM_UP_CREATES and any(thread.is_alive() for thread in clients):
            time.sleep(0.05)
        service.signal(signal.SIGTERM)
        for thread in clients:
            thread.join(CLIENT_SECONDS + 10)
        assert service.wait() == 0

    assert outcomes.lost == [], f"{len(outcomes.lost)} requests lost after sending ({outcomes.served()} served)"
    assert outcomes.refused == CLIENTS  # every client ended on a refused connection, none gave up
    assert set(outcomes.statuses) == {201}, outcomes.statuses
    with sqlite3.connect(tmp_path / "tasks.db") as database:
        stored = {title for (title,) in database.execute("SELECT title FROM tasks")}
    assert stored == outcomes.created
