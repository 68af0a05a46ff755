"""Run the real `taskservice` process on a free port, and always stop it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

STARTUP_SECONDS = 30.0
EXIT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def executable(name: str) -> str:
    """A console script of this environment (the venv the tests run in), as the image's PATH finds it."""
    return str(Path(sys.executable).parent / name)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text()

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = EXIT_SECONDS) -> int:
        return self.process.wait(timeout=timeout)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running(argv: Sequence[str], environ: Mapping[str, str], cwd: Path) -> Generator[Server]:
    """Start `argv` with exactly `environ` (plus PATH), wait for /healthz, kill it on the way out.

    `environ` must set PORT. Output (stdout and stderr) goes to a file, never to a pipe that
    could fill up and stall the server.
    """
    port = int(environ["PORT"])
    log_path = cwd / "server.log"
    env = {"PATH": os.environ.get("PATH", ""), **environ}
    with log_path.open("wb") as log_file:
        # Its own session: the clean-up below can end the server and any workers it forked.
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, port, log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{server.base_url}/healthz"):
            if process.poll() is not None:
                raise AssertionError(f"taskservice exited with {process.returncode}:\n{server.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"taskservice did not answer within {STARTUP_SECONDS}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=EXIT_SECONDS)
