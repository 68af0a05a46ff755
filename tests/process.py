"""Run the real `taskservice` process for a test: a free port, bounded waits, always cleaned up.

    with running(tmp_path, {"APP_ENV": "test"}) as service:   # started, /healthz answers
        httpx.get(service.url("/v1/tasks"))
        assert service.stop() == 0                             # SIGTERM, its exit code
        service.start()                                        # a restart: same settings, new port

The child gets exactly PATH, the given `env` and PORT (a free port): nothing leaks in from the
shell running the tests, so the defaults, an `.env` file in `cwd` or a Dockerfile's ENV are what
the test says they are. It runs in `cwd` (where a default SQLite file and `.env` are found) in its
own session, so the clean-up ends it and any uvicorn workers it forked. Its stdout and stderr go to
`cwd / "taskservice.log"` (every start appends), never to a pipe that could fill up and stall it.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from taskservice.adapters.clock import SystemClock
from taskservice.adapters.credentials import new_api_key
from taskservice.adapters.sql.store import SqlStore
from taskservice.settings import MEMORY_URL, load_settings
from taskservice.usecases.first_admin import grant_admin_key

MODULE = (sys.executable, "-m", "taskservice")
START_SECONDS = 30.0
EXIT_SECONDS = 20.0
_PORT_ATTEMPTS = 3  # another process may take the probed port before the server binds it
_STARTED = "Application startup complete"  # uvicorn's line, once per worker


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def executable(name: str) -> str:
    """A console script of this environment (the venv the tests run in), as the image's PATH finds it."""
    return str(Path(sys.executable).parent / name)


class Service:
    """One `taskservice` process at a time; `start` again after it exited to restart it."""

    def __init__(
        self, cwd: Path, env: Mapping[str, str], *, argv: Sequence[str] = MODULE, workers: int | None = None
    ) -> None:
        """`workers`: set WORKERS and wait until that many have started, not only for /healthz."""
        self.cwd = cwd
        self.argv = list(argv)
        self.env = {**env, **({"WORKERS": str(workers)} if workers is not None else {})}
        self.workers = workers
        self.log_path = cwd / "taskservice.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._key: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization` with a key of `admin@localhost` in the server's database, made on first use
        (the server must have migrated it). Kept across restarts: the database keeps the key."""
        if self._key is None:
            self._key = grant_key(self.cwd, self.env)
        return {"Authorization": f"Bearer {self._key}"}

    def log(self) -> str:
        """Everything every start of it printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        """Start on a free port and return once /healthz answers 200; raise with the log otherwise."""
        assert self._process is None or self._process.poll() is not None, "already running"
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(
                    self.argv,
                    cwd=self.cwd,
                    env={"PATH": os.environ.get("PATH", ""), **self.env, "PORT": str(self.port)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            failure = self._wait_until_started(offset)
            if failure is None:
                return
            self.kill()
            if "address already in use" in failure.lower() and attempt < _PORT_ATTEMPTS:
                with self.log_path.open("r+b") as log:
                    log.truncate(offset)  # the lost race is noise in the log the test reads
                continue
            raise AssertionError(f"{failure}:\n{self.log()}")

    def signal(self, signum: signal.Signals) -> None:
        self._running().send_signal(signum)

    def wait(self, timeout: float = EXIT_SECONDS) -> int:
        """Its exit code, once it exits; TimeoutExpired after `timeout` (the clean-up then kills it)."""
        return self._running().wait(timeout)

    def stop(self, timeout: float = EXIT_SECONDS) -> int:
        """SIGTERM, as an orchestrator stops it, and its exit code."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL it and whatever it forked; safe to call at any time, also after it exited."""
        if self._process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(EXIT_SECONDS)

    def _running(self) -> subprocess.Popen[bytes]:
        assert self._process is not None, "never started"
        return self._process

    def _wait_until_started(self, offset: int) -> str | None:
        """None once this start answers; else why not."""
        process = self._running()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return f"taskservice exited with {process.returncode}"
            if self._all_workers_started(offset) and self._healthy():
                return None
            time.sleep(0.1)
        return f"taskservice did not answer /healthz within {START_SECONDS:g}s"

    def _all_workers_started(self, offset: int) -> bool:
        if self.workers is None:
            return True
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace").count(_STARTED) >= self.workers

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url("/healthz"), timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


def grant_key(cwd: Path, env: Mapping[str, str]) -> str:
    """A new API key of `admin@localhost` in the SQL database these settings name (a SQLite path is
    relative to `cwd`), stored through the store's own ports, as `taskservice create-admin` does."""
    settings = load_settings({"JWT_SECRET": "unused-here-but-required-in-qa-and-prod", **env}, env_dir=cwd)
    assert settings.database_url != MEMORY_URL, "a memory:// server's only admin is the one a dev start prints"
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite") and url.database and not Path(url.database).is_absolute():
        url = url.set(database=str(cwd / url.database))
    key = new_api_key()

    async def grant() -> None:
        store = SqlStore(url.render_as_string(hide_password=False))
        await store.open(migrate=False)
        try:
            await grant_admin_key(store.unit_of_work, SystemClock(), key)
        finally:
            await store.close()

    # In a thread of its own: the caller may be a test already running an event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, grant()).result()
    return key[0]


@contextmanager
def running(
    cwd: Path, env: Mapping[str, str], *, argv: Sequence[str] = MODULE, workers: int | None = None
) -> Generator[Service]:
    """A started `Service`, killed (with its workers) on the way out however the test ends."""
    service = Service(cwd, env, argv=argv, workers=workers)
    try:
        service.start()
        yield service
    finally:
        service.kill()
