"""Redis for the tests, for real: the shared server (TEST_REDIS_URL, default the local one CI has),
and private servers a test can kill and start again. Missing: skipped locally, a failure in CI."""

import os
import shutil
import subprocess
import time
from types import TracebackType

import pytest
import redis

from tests.process import free_port

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unavailable(problem: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{problem} (CI requires Redis; set TEST_REDIS_URL)", pytrace=False)
    pytest.skip(f"{problem} (set TEST_REDIS_URL to run these tests)")


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)  # pyright: ignore[reportUnknownMemberType]
    try:
        return bool(client.ping())  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def require_shared_redis() -> str:
    if not _answers(SHARED_REDIS_URL):
        _unavailable(f"Redis at {SHARED_REDIS_URL} is not reachable")
    return SHARED_REDIS_URL


class PrivateRedis:
    """A `redis-server` of the test's own on a free port, keeping nothing on disk; `kill` and
    `start` again on the same port stand for an outage and a recovery."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("redis-server is not installed (Debian's redis-server)")
        self._binary = binary or "redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers(self.url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"redis-server did not start on port {self.port}", pytrace=False)
            time.sleep(0.05)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def __enter__(self) -> "PrivateRedis":
        self.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.kill()
