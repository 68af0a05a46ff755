"""Run the real `taskservice` process for end-to-end tests.

`run_server(workdir)` starts `python -m taskservice` (what `uv run taskservice` runs) in `workdir`
on a free port, waits until /healthz answers, and on exit stops it with SIGTERM (then SIGKILL if
it does not stop in time). Its output goes to a log file in `workdir`, never to a pipe that
could fill up and block it. Every wait is bounded.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_PORT_ATTEMPTS = 3


class ServerFailed(RuntimeError):
    """The process exited or never answered; the message carries its log."""


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(
    *, port: int, database_url: str | None, app_env: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """The parent's environment with the service's settings replaced; `database_url=None` leaves the default."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "API_PREFIX"}}
    env.update(HOST="127.0.0.1", PORT=str(port), APP_ENV=app_env, PYTHONUNBUFFERED="1")
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


@contextlib.contextmanager
def run_server(
    workdir: Path,
    *,
    database_url: str | None = None,
    app_env: str = "test",
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Generator[RunningServer]:
    """Serve from `workdir` (its working directory: the default SQLite file lands there)."""
    server = _start(
        workdir, database_url=database_url, app_env=app_env, extra=env or {}, args=args, timeout=startup_timeout
    )
    try:
        yield server
    finally:
        stop(server)


def stop(server: RunningServer, timeout: float = STOP_TIMEOUT) -> int:
    """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


def _start(
    workdir: Path,
    *,
    database_url: str | None,
    app_env: str,
    extra: Mapping[str, str],
    args: tuple[str, ...],
    timeout: float,
) -> RunningServer:
    failure = ""
    for attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        log_path = workdir / f"taskservice-{port}-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "taskservice", *args],
                cwd=workdir,
                env=server_environment(port=port, database_url=database_url, app_env=app_env, extra=extra),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(process=process, base_url=f"http://127.0.0.1:{port}", port=port, log_path=log_path)
        try:
            _wait_until_healthy(server, timeout)
        except ServerFailed as error:
            stop(server)
            failure = str(error)
            if "address already in use" in failure.lower():
                continue  # another process took the port between probe and bind: try another
            raise
        return server
    raise ServerFailed(failure)


def _wait_until_healthy(server: RunningServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"taskservice exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url("/healthz"), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerFailed(f"taskservice did not answer /healthz within {timeout:g}s:\n{server.log()}")
