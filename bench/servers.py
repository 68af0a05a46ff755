"""Server processes and the load generator: start, pin, drive with wrk, measure CPU, stop.

Shared by run.py (the benchmark), compare.py (A/B of checkouts) and instructions.py (callgrind).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WRK_DIR = BENCH / "wrk"
JWT_SECRET = secrets.token_urlsafe(48)
CONNECTIONS = 32


class Server:
    """One server process pinned to `cpu`, logging to a file; stopped with SIGINT like Ctrl-C."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        port: int,
        health: str,
        log: Path,
        startup_timeout: float = 90,
    ):
        self.name = name
        self.startup_timeout = startup_timeout
        self.port = port
        self.health = health
        self.log = log
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        # `Bearer <API key>` that wrk and the checks send (None: a server that needs none).
        self.authorization: str | None = None

    def start(self, cpu: int | None) -> None:
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([*pin, *self.command], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url(self.health), timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} did not answer {self.health} within {self.startup_timeout:g} s; see {self.log}"
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_mib(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads) so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Scenario:
    name: str
    server: str
    path: str
    script: str = "get.lua"
    args: tuple[str, ...] = ()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("wrk is missing: installing it from Debian's packages (apt-get install wrk)", flush=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
            if shutil.which("wrk") is None:
                subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
                subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
        else:
            sys.exit("bench: wrk is not installed and this is not root: run `sudo apt-get install -y wrk` first")


def cpus() -> tuple[int | None, int | None]:
    """(server core, load-generator core), or no pinning when there is one core or no taskset."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2 or shutil.which("taskset") is None:
        return None, None
    return available[0], available[1]


def service_env(database_url: str, port: int) -> dict[str, str]:
    """The service's environment as an operator would set it: prod logging, one worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WORKERS", "PORT", "HOST")}
    env.update(APP_ENV="prod", DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port), WORKERS="1")
    env.setdefault("JWT_SECRET", JWT_SECRET)  # prod needs one; the bench signs no tokens
    return env


def run_wrk(server: Server, scenario: Scenario, seconds: float, cpu: int | None, workdir: Path) -> dict[str, Any]:
    script = workdir / f"{scenario.script}.combined.lua"
    if not script.exists():
        script.write_text((WRK_DIR / "common.lua").read_text() + "\n" + (WRK_DIR / scenario.script).read_text())
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    command = [
        *pin,
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url(scenario.path),
    ]
    if scenario.args:
        command += ["--", *scenario.args]
    # common.lua sends it on every request of every scenario.
    env = {**os.environ, "BENCH_AUTHORIZATION": server.authorization or ""}
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=seconds + 60, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


def timed(server: Server, scenario: Scenario, seconds: float, cpu: int | None, workdir: Path) -> dict[str, Any]:
    """One wrk run, with the server's CPU time over it."""
    before = server.cpu_seconds()
    outcome = run_wrk(server, scenario, seconds, cpu, workdir)
    used = max(server.cpu_seconds() - before, 0.01)
    outcome["rps"] = outcome["requests"] / (outcome["duration_us"] / 1e6)
    outcome["server_cpu_s"] = round(used, 2)
    outcome["rps_per_cpu_s"] = outcome["requests"] / used
    return outcome
