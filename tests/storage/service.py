"""Run the real `taskservice` process for a test: free port, bounded waits, always stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """One `python -m taskservice` process (with its uvicorn workers) in its own process group."""

    def __init__(self, environ: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._environ = {
            **os.environ,
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            **environ,
        }
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def start(self, *, workers: int = 1) -> None:
        """Start and wait until `workers` workers have finished start-up and /healthz answers."""
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "taskservice", "serve"],
                env={**self._environ, "WORKERS": str(workers)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"taskservice exited with {self._process.returncode}:\n{self.log}")
            if self.log.count("Application startup complete") >= workers and self._healthy():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"taskservice did not start within {START_TIMEOUT}s:\n{self.log}")

    def terminate(self) -> int:
        """SIGTERM, as an orchestrator stops it; its exit code."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(STOP_TIMEOUT)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


@contextmanager
def running_service(environ: Mapping[str, str], log_path: Path, *, workers: int = 1) -> Generator[Service]:
    service = Service(environ, log_path)
    try:
        service.start(workers=workers)
        yield service
    finally:
        service.kill()
