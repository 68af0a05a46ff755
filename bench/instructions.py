"""User-space instructions per request of the real server, counted by callgrind.

The wrk benchmark measures speed, but on a shared machine two runs minutes apart differ by more
than a change of a few per cent. Instructions do not move with the neighbours: the same code
and the same requests give the same count to within a fraction of a per cent. This starts the
server exactly as bench/run.py does (prod settings, one worker, a freshly seeded 10,000-task
SQLite file) — or the ceiling — under `valgrind --tool=callgrind`, warms it up with wrk, zeroes
the counters, drives it again, dumps them and divides by the requests wrk completed.

It counts user space only: not the kernel's work in system calls (socket writes, SQLite's file
locks and WAL writes) and not cache misses, which the wrk benchmark does see. Use it to rank
changes to the Python path; report speed with the benchmark.

    uv run python bench/instructions.py get [--seconds 5] [--checkout DIR]
    uv run python bench/instructions.py ceiling

Scenarios: ceiling, healthz, get, post, patch. Needs valgrind (Debian's `valgrind`).
"""

import argparse
import asyncio
import getpass
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from seed import grant_key, seed
from servers import Scenario, Server, ensure_tools, free_port, run_wrk, service_env

BENCH = Path(__file__).resolve().parent
SEEDED = 10_000
SCENARIOS = {
    "ceiling": Scenario("ceiling", "ceiling", "/ceiling"),
    "healthz": Scenario("healthz", "taskservice", "/healthz"),
    "get": Scenario("get", "taskservice", "/v1/tasks", "get_task.lua", (str(SEEDED),)),
    "post": Scenario("post", "taskservice", "/v1/tasks", "create_task.lua", (f"instructions-{time.time()}",)),
    "patch": Scenario("patch", "taskservice", "/v1/tasks", "patch_task.lua", (str(SEEDED),)),
}


def callgrind_control(pid: int, flag: str, env: dict[str, str]) -> None:
    subprocess.run(["callgrind_control", flag, str(pid)], env=env, check=True, stdout=subprocess.DEVNULL)


def _total(dump: Path) -> int:
    return int(next(line for line in dump.read_text().splitlines() if line.startswith("summary:")).split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=5, help="seconds of the counted wrk run")
    parser.add_argument("--checkout", type=Path, default=BENCH.parent, help="a directory holding src/taskservice")
    options = parser.parse_args()
    ensure_tools()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("bench: valgrind is not installed (apt-get install valgrind)")
    scenario = SCENARIOS[options.scenario]
    workdir = Path(tempfile.mkdtemp(prefix="taskservice-instructions-"))
    port = free_port()
    # vgdb, through which callgrind_control talks to valgrind, names its files after USER and HOST.
    control_env = {**os.environ, "USER": getpass.getuser(), "HOST": "127.0.0.1"}
    if scenario.server == "ceiling":
        command = [sys.executable, str(BENCH / "ceiling.py"), str(port)]
        env, health = control_env, "/ceiling"
        authorization = None
    else:
        database = workdir / "tasks.db"
        url = f"sqlite:///{database}"
        env = service_env(url, port) | {"PYTHONPATH": str(options.checkout.resolve() / "src")}
        subprocess.run([sys.executable, "-m", "taskservice", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        asyncio.run(seed(url, SEEDED))
        authorization = asyncio.run(grant_key(url))  # None for a checkout from before users
        env |= {"USER": control_env["USER"]}
        command, health = [sys.executable, "-m", "taskservice"], "/healthz"
    out = workdir / "callgrind.out.%p"
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    # Start-up under valgrind takes a minute or more.
    server = Server(scenario.name, [*valgrind, *command], env, port, health, workdir / "server.log", 300)
    server.authorization = authorization
    try:
        server.start(None)
        assert server.process is not None
        pid = server.process.pid
        run_wrk(server, scenario, 3, None, workdir)  # warm-up: caches, compiled statements, first pages
        callgrind_control(pid, "--zero", control_env)
        started = time.monotonic()
        outcome = run_wrk(server, scenario, options.seconds, None, workdir)
        busy = time.monotonic() - started
        callgrind_control(pid, "--dump", control_env)
        # What the server does per second without requests (timers, the metrics' sampler), over
        # as long again: subtracted, so that a run slowed by a busy machine (fewer requests over
        # the same background) still counts what one request costs.
        callgrind_control(pid, "--zero", control_env)
        time.sleep(busy)
        callgrind_control(pid, "--dump", control_env)
        dump = workdir / f"callgrind.out.{pid}.1"
        instructions = _total(dump) - _total(workdir / f"callgrind.out.{pid}.2")
    finally:
        server.stop()
    requests = outcome["requests"]
    if outcome["non2xx"]:
        sys.exit(f"bench: {outcome['non2xx']} of {requests} responses were not 2xx (a count of them says nothing)")
    print(f"{scenario.name}: {instructions / requests:,.0f} instructions per request ({requests} requests)")
    print(f"callgrind dump: {dump}")  # callgrind_annotate --inclusive=yes ranks the functions
    return 0


if __name__ == "__main__":
    sys.exit(main())
