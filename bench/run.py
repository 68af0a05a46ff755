"""The taskservice benchmark: real servers, a real load generator, both stores side by side,
ratios to a bare-Litestar ceiling measured in the same run, and each store's driver floor.

Run it with `uv run nox -s bench` (see docs/performance.md). In one run it:

1. migrates and seeds a database per store and data set through SQL (stores.py, seed.py):
   1k, 10k and 100k tasks, plus a 10k copy for POST and one for PATCH;
2. starts `taskservice` exactly as users do (the `taskservice` command, one worker, prod
   settings) on each, the ceiling (ceiling.py) and the driver floors (sqlite_floor_app.py, pg_floor_app.py)
   on the same uvicorn settings, all pinned to one core; wrk runs pinned to another;
3. per repeat and scenario: a ceiling run, then the scenario on the SQLite file, on PostgreSQL,
   and on each store's driver floor where it has one, so they share the same machine noise;
4. checks a sample of every scenario's responses, that list totals equal `count(*)`, and
   after a graceful stop that every acknowledged write is durable;
5. writes results.json and results.md under bench/results/<timestamp>/ and prints the table.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import checks
import report
from plan import Group, plan
from servers import CONNECTIONS, Scenario, Server, cpus, ensure_tools, free_port, run_wrk, service_env, timed
from stores import STORES, Databases, Dataset

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="seconds of one timed run (default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per scenario and store (default 3)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of an untimed run before the first repeat")
    parser.add_argument("--stores", default=",".join(STORES), help="comma-separated: sqlite,postgres (default both)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL server whose user may create databases (default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--only", action="append", default=[], help="only scenarios whose name contains this (repeatable)"
    )
    options = parser.parse_args()
    stores = [s for s in options.stores.split(",") if s]
    if not stores or set(stores) - set(STORES):
        parser.error(f"--stores takes a comma-separated subset of {','.join(STORES)}")
    ensure_tools()
    server_cpu, load_cpu = cpus()
    executable = shutil.which("taskservice", path=str(Path(sys.executable).parent)) or shutil.which("taskservice")
    if executable is None:
        sys.exit("bench: the taskservice command is not installed in this environment")

    started, clock = datetime.now(UTC), time.monotonic()
    out_dir = options.results / started.strftime("%Y%m%dT%H%M%SZ")
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="taskservice-bench-"))
    databases = Databases(executable, workdir, options.database_url, uuid.uuid4().hex[:8])
    if "postgres" in stores:
        databases.check_postgres()
    servers: dict[str, Server] = {}
    try:
        groups = plan(stores, options.only)
        needed = sorted({(s, g.label) for g in groups for s in g.stores}, key=lambda x: (STORES.index(x[0]), x[1]))
        datasets: dict[str, Dataset] = {}
        for store, label in needed:
            dataset = databases.prepare(store, label)
            datasets[dataset.name] = dataset

        def log(name: str) -> Path:
            return out_dir / f"{name.replace(' ', '-')}.log"

        port = free_port()
        servers["ceiling"] = Server(
            "ceiling",
            [sys.executable, str(BENCH / "ceiling.py"), str(port)],
            dict(os.environ),
            port,
            "/ceiling",
            log("ceiling"),
        )
        for name, dataset in datasets.items():
            port = free_port()
            servers[name] = Server(name, [executable], service_env(dataset.url, port), port, "/healthz", log(name))
            servers[name].authorization = dataset.authorization  # every request authenticated, as in use
        for floor, label in sorted({(c, g.label) for g in groups for c in g.columns() if c.endswith(" floor")}):
            port, dataset, name = free_port(), datasets[f"{floor.split()[0]} {label}"], f"{floor} {label}"
            if dataset.store == "sqlite":  # the service's own file: their runs take turns, never overlap
                env, app = {**os.environ, "FLOOR_DATABASE_PATH": dataset.path()}, "sqlite_floor_app.py"
            else:
                env, app = {**os.environ, "FLOOR_DATABASE_URL": dataset.dsn()}, "pg_floor_app.py"
            command = [sys.executable, str(BENCH / app), str(port)]
            servers[name] = Server(name, command, env, port, "/healthz", log(name))
        for server in servers.values():
            server.start(server_cpu)

        def server_of(group: Group, column: str) -> Server:
            return servers[f"{column} {group.label}"]

        nonce = uuid.uuid4().hex[:8]
        results = {("ceiling", "ceiling"): report.Result("ceiling", "ceiling")}
        results |= {(g.name, c): report.Result(g.name, c) for g in groups for c in g.columns()}
        print(f"warm-up: {options.warmup:g} s per scenario and store", flush=True)
        ceiling_run = Scenario("ceiling", "ceiling", "/ceiling")
        run_wrk(servers["ceiling"], ceiling_run, options.warmup, load_cpu, workdir)
        for group in groups:
            for column in group.columns():
                run_wrk(
                    server_of(group, column), group.scenario(column, f"{nonce}-w"), options.warmup, load_cpu, workdir
                )
        for repeat in range(1, options.repeats + 1):
            for group in groups:
                ceiling = timed(servers["ceiling"], ceiling_run, options.seconds, load_cpu, workdir)
                ceiling.update(ratio=1.0, cpu_ratio=1.0)
                results["ceiling", "ceiling"].runs.append(ceiling)
                line = f"  [{repeat}/{options.repeats}] {group.name:<34} ceiling {ceiling['rps']:5.0f}"
                for column in group.columns():
                    server = server_of(group, column)
                    outcome = timed(
                        server, group.scenario(column, f"{nonce}-{repeat}"), options.seconds, load_cpu, workdir
                    )
                    outcome["ratio"] = outcome["rps"] / ceiling["rps"]
                    outcome["cpu_ratio"] = outcome["rps_per_cpu_s"] / ceiling["rps_per_cpu_s"]
                    if column.endswith(" floor"):
                        service = results[group.name, column.split()[0]].runs[-1]
                        service["floor_ratio"] = service["rps"] / outcome["rps"]
                    result = results[group.name, column]
                    result.runs.append(outcome)
                    result.rss_mib = server.rss_mib()
                    errors = sum(outcome[k] for k in report.ERROR_KINDS)
                    p50 = outcome["p50_us"] / 1000
                    line += (
                        f" | {column} {outcome['rps']:5.0f} ({outcome['ratio']:.2f}, p50 {p50:.1f} ms, err {errors})"
                    )
                print(line, flush=True)

        failures: list[str] = []
        for group in groups:
            for store in group.stores:
                server, dataset = server_of(group, store), datasets[f"{store} {group.label}"]
                try:
                    statuses = dataset.rows_per_status()
                    results[group.name, store].checks.append(
                        checks.sample(group.name, group.path, server, dataset.size, statuses)
                    )
                except (AssertionError, KeyError, TypeError, ValueError, OSError) as error:
                    failures.append(f"{store} {group.name}: {error!r}")
        before_stop: dict[str, dict[str, int]] = {}
        for name, dataset in datasets.items():
            try:
                before_stop[name], failure = checks.totals(servers[name], dataset)
            except (KeyError, TypeError, ValueError, OSError) as error:
                before_stop[name], failure = dataset.rows_per_status(), f"{name}: list totals: {error!r}"
            failures += [failure] if failure else []
        for server in servers.values():
            server.stop()
        notes: list[str] = []
        for name, dataset in datasets.items():
            post = results.get(("POST", dataset.store))
            acknowledged = (
                sum(r["requests"] - r["non2xx"] for r in post.runs) if post and dataset.label == "writes" else None
            )
            note, failure = checks.durability(dataset, before_stop[name], acknowledged)
            notes += [note] if note else []
            failures += [failure] if failure else []

        out = report.build(results, [g.name for g in groups], failures)
        out["machine"] = report.machine(databases if "postgres" in stores else None)
        out["settings"] = {
            "connections": CONNECTIONS,
            "seconds": options.seconds,
            "repeats": options.repeats,
            "warmup_seconds": options.warmup,
            "stores": stores,
            "server_cpu": server_cpu,
            "load_generator_cpu": load_cpu,
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0],
            "wall_minutes": round((time.monotonic() - clock) / 60, 1),
        }
        out["durability"] = notes
        (out_dir / "results.json").write_text(json.dumps(out, indent=2) + "\n")
        table = report.markdown(out)
        (out_dir / "results.md").write_text(table)
        print("\n" + table + f"results: {out_dir}")
        if failures:
            print("CORRECTNESS FAILURES:\n  " + "\n  ".join(failures))
        return 1 if failures else 0
    finally:
        for server in servers.values():
            server.stop()
        databases.drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
