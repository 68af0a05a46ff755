"""A/B: one scenario on two or more checkouts of taskservice, each round paired with the ceiling.

On a shared machine two benchmark runs minutes apart are not comparable; this runs the
checkouts side by side instead: every server started as `bench/run.py` starts them (one worker,
prod logs, pinned to one core, its own fresh seeded SQLite file), and each round measures the
ceiling and then every checkout in turn, so they share the same moment of machine noise.
Prints per round req/s, ratio to the ceiling, server CPU per request and p50/p99; then the
median ratio and CPU per request of each checkout.

    git worktree add /tmp/before <commit>
    uv run python bench/compare.py patch /tmp/before . [--seconds 5] [--rounds 3]

Scenarios: healthz, get, post, patch, list (status=new), list-all, offset (updated_at, 5000).
`--size` seeds each file with that many tasks; `--ids` limits get and patch to ids 1..n (a
large file with a small hot set, as after the benchmark's POST scenario).
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from seed import grant_key, seed
from servers import CONNECTIONS, Scenario, Server, cpus, ensure_tools, free_port, service_env, timed

BENCH = Path(__file__).parent
PATHS = {
    "healthz": ("/healthz", "get.lua"),
    "get": ("/v1/tasks", "get_task.lua"),
    "post": ("/v1/tasks", "create_task.lua"),
    "patch": ("/v1/tasks", "patch_task.lua"),
    "list": ("/v1/tasks?status=new&limit=100", "get.lua"),
    "list-all": ("/v1/tasks?limit=100", "get.lua"),
    "offset": ("/v1/tasks?order_by=updated_at&offset=5000&limit=100", "get.lua"),
}


def scenario(name: str, ids: int, round_number: int) -> Scenario:
    path, script = PATHS[name]
    args: tuple[str, ...] = ()
    if name in ("get", "patch"):
        args = (str(ids),)
    elif name == "post":
        args = (f"compare-{time.time()}-{round_number}",)  # titles unique across rounds
    return Scenario(name, "taskservice", path, script, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(PATHS))
    parser.add_argument("checkouts", nargs="+", type=Path, help="directories holding src/taskservice")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=10_000, help="tasks seeded into each file")
    parser.add_argument("--ids", type=int, default=0, help="get/patch ids 1..n (default: --size)")
    options = parser.parse_args()
    ensure_tools()
    server_cpu, load_cpu = cpus()
    workdir = Path(tempfile.mkdtemp(prefix="taskservice-compare-"))
    ceiling_port = free_port()
    ceiling = Server(
        "ceiling",
        [sys.executable, str(BENCH / "ceiling.py"), str(ceiling_port)],
        dict(os.environ),
        ceiling_port,
        "/ceiling",
        workdir / "ceiling.log",
    )
    servers: list[Server] = []
    try:
        ceiling.start(server_cpu)
        for index, checkout in enumerate(options.checkouts):
            port = free_port()
            url = f"sqlite:///{workdir / f'checkout-{index}.db'}"
            env = service_env(url, port) | {"PYTHONPATH": str(checkout.resolve() / "src")}
            server = Server(
                str(checkout),
                [sys.executable, "-m", "taskservice"],
                env,
                port,
                "/healthz",
                workdir / f"checkout-{index}.log",
            )
            server.start(server_cpu)
            asyncio.run(seed(url, options.size))
            # A checkout with users gets a key and every request carries it; one from before
            # users gets none (nothing to grant), so the two compare with and without auth.
            server.authorization = asyncio.run(grant_key(url))
            servers.append(server)
        ratios: dict[str, list[float]] = {server.name: [] for server in servers}
        cpu_us: dict[str, list[float]] = {server.name: [] for server in servers}
        for round_number in range(options.rounds):
            base = timed(ceiling, Scenario("ceiling", "ceiling", "/ceiling"), options.seconds, load_cpu, workdir)
            line = [f"ceiling {base['rps']:7.0f} req/s"]
            for server in servers:
                run = timed(
                    server,
                    scenario(options.scenario, options.ids or options.size, round_number),
                    options.seconds,
                    load_cpu,
                    workdir,
                )
                ratios[server.name].append(run["rps"] / base["rps"])
                cpu_us[server.name].append(run["server_cpu_s"] / run["requests"] * 1e6)
                line.append(
                    f"{server.name}: {run['rps']:6.0f} req/s ratio {ratios[server.name][-1]:.3f} "
                    f"cpu {cpu_us[server.name][-1]:4.0f} µs p50 {run['p50_us'] / 1000:.1f} "
                    f"p99 {run['p99_us'] / 1000:.1f} ms non-2xx {run['non2xx']}"
                )
            print(" | ".join(line), flush=True)
        print(f"{options.scenario}, {CONNECTIONS} connections, {options.rounds} × {options.seconds:g} s:")
        for server in servers:
            print(
                f"  {server.name}: median ratio {statistics.median(ratios[server.name]):.3f}, "
                f"median CPU {statistics.median(cpu_us[server.name]):.0f} µs per request"
            )
    finally:
        for server in (ceiling, *servers):
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
