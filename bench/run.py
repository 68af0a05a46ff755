"""The taskservice benchmark: real servers, a real load generator, ratios to a bare-Litestar ceiling.

Run it with `uv run nox -s bench` (see docs/performance.md). In one run it:

1. migrates and seeds databases through SQL (1k, 10k, 100k tasks, plus one 10k copy for POST
   and one for PATCH, so each write scenario runs on the 10,000 tasks it was seeded with),
   never through the timed path;
2. starts `taskservice` exactly as users do (the `taskservice` command, one worker, the SQLite
   file default; with `--database-url postgresql+asyncpg://…` also on PostgreSQL) and the ceiling
   app (bench/ceiling.py) on the same uvicorn settings, all pinned to one core;
3. drives every scenario with wrk (32 connections, one thread, pinned to another core), several
   repeats, interleaved so that the ceiling and the scenarios share the same machine noise;
4. checks a sample of every scenario's responses, and after a graceful stop that the writes
   are durable and the per-status counters match the rows;
5. writes results.json and results.md under bench/results/<timestamp>/ and prints the table.

Reported per scenario: median req/s over the repeats, median p50/p99 latency, every non-2xx and
socket error (summed, never hidden), the server's RSS after its last run, and req/s as a
fraction of the ceiling's median req/s in the same run.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from seed import seed

WRK_DIR = BENCH / "wrk"
CONNECTIONS = 32
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}


@dataclass
class Result:
    scenario: str
    server: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    rss_mib: float = 0.0
    checks: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in self.runs)

    @property
    def ratio(self) -> float:
        """Median over repeats of req/s ÷ the ceiling's req/s measured just before (paired runs)."""
        return statistics.median(r["ratio"] for r in self.runs)

    @property
    def cpu_ratio(self) -> float:
        """The same per server CPU-second: what the ratio would be if the core were ours alone."""
        return statistics.median(r["cpu_ratio"] for r in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r["p50_us"] for r in self.runs) / 1000

    @property
    def p99_ms(self) -> float:
        return statistics.median(r["p99_us"] for r in self.runs) / 1000

    @property
    def errors(self) -> dict[str, int]:
        kinds = ("non2xx", "connect", "read", "write", "timeout")
        return {k: sum(r[k] for r in self.runs) for k in kinds}


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
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
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


# --- correctness samples ------------------------------------------------------------------


def http(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_task_shape(task: dict[str, Any]) -> None:
    expected = {"id", "title", "description", "status", "priority", "created_at", "updated_at", "version"}
    expect(expected <= task.keys(), f"task fields missing: {sorted(expected - task.keys())}")
    expect(task["status"] in ("new", "in_progress", "completed"), f"bad status {task['status']!r}")
    expect(1 <= task["priority"] <= 5, f"bad priority {task['priority']!r}")
    expect(task["created_at"].endswith("Z") and task["updated_at"].endswith("Z"), "timestamps not RFC 3339 UTC")


def sample_checks(scenario: Scenario, server: Server, size: int, statuses: dict[str, int]) -> list[str]:
    """Check a sample of the scenario's responses against the contract and the seeded data."""
    done: list[str] = []
    name = scenario.name.removeprefix("pg ")  # the same checks on PostgreSQL
    if name == "healthz":
        status, body, _ = http("GET", server.url("/healthz"))
        expect(status == 200 and body == {"status": "ok"}, f"healthz answered {status} {body}")
        done.append("healthz body")
    elif name == "get by id":
        for task_id in (1, size // 2, size):
            status, body, _ = http("GET", server.url(f"/v1/tasks/{task_id}"))
            expect(status == 200 and body["id"] == task_id, f"GET {task_id} answered {status}")
            check_task_shape(body)
            expect(body["title"] == f"Seeded task {task_id:06d}", f"GET {task_id} title {body['title']!r}")
        status, _, _ = http("GET", server.url(f"/v1/tasks/{size * 10}"))
        expect(status == 404, f"GET of a missing id answered {status}")
        done.append("3 ids match the seed; a missing id is 404")
    elif name == "POST":
        title = f"bench sample {uuid.uuid4().hex}"
        status, body, headers = http("POST", server.url("/v1/tasks"), {"title": f"  {title} ", "priority": 2})
        expect(status == 201 and body["title"] == title and body["version"] == 1, f"POST answered {status} {body}")
        expect(headers.get("location") == f"/v1/tasks/{body['id']}", "POST Location header")
        status, again, _ = http("GET", server.url(f"/v1/tasks/{body['id']}"))
        expect(status == 200 and again == body, "a created task reads back unchanged")
        status, _, _ = http("POST", server.url("/v1/tasks"), {"title": title.upper(), "priority": 2})
        expect(status == 409, f"a duplicate title key answered {status}")
        done.append("201 + Location, reads back, duplicate key is 409")
    elif name == "PATCH priority":
        task_id = size // 3
        _, before, _ = http("GET", server.url(f"/v1/tasks/{task_id}"))
        new_priority = before["priority"] % 5 + 1
        status, body, _ = http("PATCH", server.url(f"/v1/tasks/{task_id}"), {"priority": new_priority})
        expect(status == 200 and body["priority"] == new_priority, f"PATCH answered {status} {body}")
        expect(body["version"] == before["version"] + 1 and body["updated_at"] > before["updated_at"], "PATCH bumps")
        expect(body["title"] == before["title"] and body["status"] == before["status"], "PATCH changed other fields")
        _, after, _ = http("GET", server.url(f"/v1/tasks/{task_id}"))
        expect(after == body, "a patched task reads back as answered")
        done.append("priority changes, version and updated_at bump, nothing else changes")
    elif name.startswith("list status=new"):
        status, body, _ = http("GET", server.url(scenario.path))
        expect(status == 200 and len(body["items"]) == 100, f"list answered {status}")
        expect(all(t["status"] == "new" for t in body["items"]), "list returned a task that is not new")
        keys = [(-t["priority"], t["created_at"], t["id"]) for t in body["items"]]
        expect(keys == sorted(keys), "list is not in priority desc, created_at, id order")
        expect(body["total"] == statuses.get("new", 0), f"total {body['total']} != {statuses.get('new')} rows")
        done.append(f"100 new tasks in contract order; total = {body['total']} matches the rows")
    elif name.startswith("list updated_at"):
        status, body, _ = http("GET", server.url(scenario.path))
        expect(status == 200 and len(body["items"]) == 100 and body["offset"] == 5000, f"list answered {status}")
        keys = [t["updated_at"] for t in body["items"]]
        expect(keys == sorted(keys, reverse=True), "page is not in updated_at desc order")
        expect(body["total"] == sum(statuses.values()), f"total {body['total']} != {sum(statuses.values())} rows")
        done.append(f"page of 100 in updated_at desc order; total = {body['total']} matches the rows")
    return done


def sqlite_counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(rows per status, the service's counters) read straight from the file."""
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT status, count(*) FROM tasks GROUP BY status").fetchall())
        counters = {s: c for s, c in db.execute("SELECT status, count FROM task_counts").fetchall() if c}
    return rows, counters


# --- the run --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line), ""
        )
    load = os.getloadavg()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def plan_scenarios(backends: Sequence[tuple[str, str | None]], nonce: str, only: list[str]) -> list[Scenario]:
    """The ceiling, then every scenario per backend (or those whose name contains a text of `only`)."""
    scenarios: list[Scenario] = []
    for backend, _ in backends:
        prefix = "" if backend == "sqlite" else "pg "
        scenarios += [
            Scenario(f"{prefix}healthz", f"{backend} 10k", "/healthz"),
            Scenario(f"{prefix}get by id", f"{backend} 10k", "/", "get_task.lua", ("10000",)),
            Scenario(f"{prefix}POST", f"{backend} writes", "/", "create_task.lua", (f"{backend}-{nonce}",)),
            # Its own copy: on POST's file it would run on however many tasks POST had added by then.
            Scenario(f"{prefix}PATCH priority", f"{backend} updates", "/", "patch_task.lua", ("10000",)),
            *(
                Scenario(
                    f"{prefix}list status=new limit=100 @{label}",
                    f"{backend} {label}",
                    "/v1/tasks?status=new&limit=100",
                )
                for label in SIZES
            ),
            Scenario(
                f"{prefix}list updated_at offset=5000 @10k",
                f"{backend} 10k",
                "/v1/tasks?order_by=updated_at&offset=5000&limit=100",
            ),
        ]
    if only:
        scenarios = [s for s in scenarios if any(text in s.name for text in only)]
    return [Scenario("ceiling", "ceiling", "/ceiling"), *scenarios]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of one timed run (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per scenario (default 3)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed run before the first repeat")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="also bench PostgreSQL: a postgresql+asyncpg URL whose user may create databases",
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the scenarios whose name contains this text (repeatable); for quick iterations",
    )
    options = parser.parse_args()
    ensure_tools()
    server_cpu, load_cpu = cpus()
    executable = shutil.which("taskservice", path=str(Path(sys.executable).parent)) or shutil.which("taskservice")
    if executable is None:
        sys.exit("bench: the taskservice command is not installed in this environment")

    started = datetime.now(UTC)
    out_dir = options.results / started.strftime("%Y%m%dT%H%M%SZ")
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="taskservice-bench-"))
    servers: dict[str, Server] = {}
    postgres_databases: list[str] = []
    try:
        backends = [("sqlite", None)] + ([("postgres", options.database_url)] if options.database_url else [])
        datasets: dict[str, tuple[str, int, Path | None]] = {}  # server name -> (url, size, sqlite path)
        needed = {scenario.server for scenario in plan_scenarios(backends, "-", options.only)}
        for backend, admin_url in backends:
            for label, size in (*SIZES.items(), ("writes", 10_000), ("updates", 10_000)):
                name = f"{backend} {label}"
                if name not in needed:
                    continue
                if backend == "sqlite":
                    path = workdir / f"{label}.db"
                    url = f"sqlite+aiosqlite:///{path}"
                else:
                    assert admin_url is not None
                    database = f"taskservice_bench_{label}_{uuid.uuid4().hex[:8]}"
                    url = create_postgres_database(admin_url, database)
                    postgres_databases.append(url)
                    path = None
                datasets[name] = (url, size, path)
                print(f"seeding {name}: {size} tasks", flush=True)
                env = service_env(url, 0)
                subprocess.run([executable, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
                asyncio.run(seed(url, size))

        port = free_port()
        servers["ceiling"] = Server(
            "ceiling",
            [sys.executable, str(BENCH / "ceiling.py"), str(port)],
            dict(os.environ),
            port,
            "/ceiling",
            out_dir / "ceiling.log",
        )
        for name, (url, _, _) in datasets.items():
            port = free_port()
            servers[name] = Server(
                name, [executable], service_env(url, port), port, "/healthz", out_dir / f"{name.replace(' ', '-')}.log"
            )
        for server in servers.values():
            server.start(server_cpu)

        scenarios = plan_scenarios(backends, uuid.uuid4().hex[:8], options.only)
        results = {s.name: Result(s.name, s.server) for s in scenarios}
        print(f"warm-up: {options.warmup:g} s per scenario", flush=True)
        for scenario in scenarios:
            # POST's titles carry the repeat number, so every request of the run is unique.
            warm = Scenario(
                scenario.name,
                scenario.server,
                scenario.path,
                scenario.script,
                tuple(f"{a}-w" for a in scenario.args) if scenario.script == "create_task.lua" else scenario.args,
            )
            run_wrk(servers[scenario.server], warm, options.warmup, load_cpu, workdir)
        # Every scenario run is paired with a ceiling run just before it: on a shared machine the
        # noise moves both, and the reported ratio is the median of the paired ratios.
        ceiling_scenario = scenarios[0]
        for repeat in range(1, options.repeats + 1):
            for scenario in scenarios[1:]:
                args = scenario.args
                if scenario.script == "create_task.lua":
                    args = tuple(f"{a}-{repeat}" for a in args)
                run = Scenario(scenario.name, scenario.server, scenario.path, scenario.script, args)
                ceiling = timed(servers["ceiling"], ceiling_scenario, options.seconds, load_cpu, workdir)
                ceiling.update(ratio=1.0, cpu_ratio=1.0)
                results["ceiling"].runs.append(ceiling)
                results["ceiling"].rss_mib = servers["ceiling"].rss_mib()
                outcome = timed(servers[scenario.server], run, options.seconds, load_cpu, workdir)
                outcome["ratio"] = outcome["rps"] / ceiling["rps"]
                outcome["cpu_ratio"] = outcome["rps_per_cpu_s"] / ceiling["rps_per_cpu_s"]
                result = results[scenario.name]
                result.runs.append(outcome)
                result.rss_mib = servers[scenario.server].rss_mib()
                print(
                    f"  [{repeat}/{options.repeats}] {scenario.name:<40} {outcome['rps']:7.0f} req/s "
                    f"(ceiling {ceiling['rps']:5.0f}, ratio {outcome['ratio']:.2f}, "
                    f"per CPU-s {outcome['cpu_ratio']:.2f})"
                    f"  p50 {outcome['p50_us'] / 1000:6.2f} ms  non-2xx {outcome['non2xx']}",
                    flush=True,
                )

        failures: list[str] = []
        for scenario in scenarios:
            if scenario.server == "ceiling":
                continue
            url, size, path = datasets[scenario.server]
            statuses = sqlite_counts(path)[0] if path is not None else asyncio.run(postgres_counts(url))
            try:
                results[scenario.name].checks = sample_checks(scenario, servers[scenario.server], size, statuses)
            except AssertionError as error:
                failures.append(f"{scenario.name}: {error}")
        for server in servers.values():
            server.stop()
        durability = check_durability(datasets, results, failures)
        report = build_report(results, options, started, durability, failures, server_cpu, load_cpu)
        (out_dir / "results.json").write_text(json.dumps(report, indent=2) + "\n")
        table = markdown(report)
        (out_dir / "results.md").write_text(table)
        print()
        print(table)
        print(f"results: {out_dir}")
        if failures:
            print("CORRECTNESS FAILURES:\n  " + "\n  ".join(failures))
            return 1
        return 0
    finally:
        for server in servers.values():
            server.stop()
        for url in postgres_databases:
            drop_postgres_database(options.database_url, url)
        shutil.rmtree(workdir, ignore_errors=True)


def service_env(database_url: str, port: int) -> dict[str, str]:
    """The service's environment as an operator would set it: prod logging, one worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WORKERS", "PORT", "HOST")}
    env.update(APP_ENV="prod", DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port), WORKERS="1")
    return env


def check_durability(
    datasets: dict[str, tuple[str, int, Path | None]], results: dict[str, Result], failures: list[str]
) -> list[str]:
    """After a graceful stop: every acknowledged create is in the file and the counters match the rows."""
    notes: list[str] = []
    for name, (url, size, path) in datasets.items():
        rows, counters = sqlite_counts(path) if path is not None else asyncio.run(postgres_counts(url, counters=True))
        total = sum(rows.values())
        if rows != counters:
            notes.append(f"{name}: counters {counters} do NOT match the rows {rows}")
            failures.append(f"{name}: per-status counters {counters} do not match the rows {rows}")
        if name.endswith("writes"):
            post = results.get("POST" if path is not None else "pg POST")
            acknowledged = sum(r["requests"] - r["non2xx"] for r in post.runs) if post else 0
            # Requests still in flight when wrk stopped may also have been committed.
            if total < size + acknowledged:
                failures.append(f"{name}: {total} rows < {size} seeded + {acknowledged} acknowledged creates")
            notes.append(
                f"{name}: {total} rows ≥ {size} seeded + {acknowledged} acknowledged creates "
                "(plus warm-up and sample creates)"
            )
        else:
            notes.append(f"{name}: counters match the rows {dict(sorted(rows.items()))}")
    return notes


def create_postgres_database(admin_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    asyncio.run(postgres_admin(admin_url, f'CREATE DATABASE "{database}"'))
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str | None, url: str) -> None:
    from sqlalchemy.engine import make_url

    if admin_url is not None:
        database = make_url(url).database
        asyncio.run(postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def postgres_admin(admin_url: str, sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def postgres_counts(url: str, *, counters: bool = False) -> Any:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = {r[0]: r[1] for r in await connection.fetch("SELECT status, count(*) FROM tasks GROUP BY status")}
        if not counters:
            return rows
        kept = {r[0]: r[1] for r in await connection.fetch("SELECT status, count FROM task_counts") if r[1]}
        return rows, kept
    finally:
        await connection.close()


# --- the report ----------------------------------------------------------------------------


def build_report(
    results: dict[str, Result],
    options: argparse.Namespace,
    started: datetime,
    durability: list[str],
    failures: list[str],
    server_cpu: int | None,
    load_cpu: int | None,
) -> dict[str, Any]:
    rows = []
    for result in results.values():
        rows.append(
            {
                "scenario": result.scenario,
                "server": result.server,
                "rps": round(result.rps, 1),
                "p50_ms": round(result.p50_ms, 2),
                "p99_ms": round(result.p99_ms, 2),
                "errors": result.errors,
                "rss_mib": round(result.rss_mib, 1),
                "ratio_to_ceiling": round(result.ratio, 3),
                "ratio_per_cpu_second": round(result.cpu_ratio, 3),
                "rps_per_server_cpu_second": round(statistics.median(r["rps_per_cpu_s"] for r in result.runs), 1),
                "checks": result.checks,
                "runs": result.runs,
            }
        )
    by_name = {r["scenario"]: r for r in rows}
    return {
        "started": started.isoformat(),
        "machine": machine(),
        "settings": {
            "connections": CONNECTIONS,
            "seconds": options.seconds,
            "repeats": options.repeats,
            "warmup_seconds": options.warmup,
            "server_cpu": server_cpu,
            "load_generator_cpu": load_cpu,
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0],
        },
        "scenarios": rows,
        "targets": targets(by_name),
        "durability": durability,
        "correctness_failures": failures,
    }


def targets(by_name: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def ratio(name: str, goal: float) -> None:
        if name in by_name:
            value = by_name[name]["ratio_to_ceiling"]
            cpu = by_name[name]["ratio_per_cpu_second"]
            out.append(
                {
                    "target": f"{name} ≥ {goal:.0%} of ceiling",
                    "value": f"{value:.0%}",
                    "cpu_value": f"{cpu:.0%}",
                    "met": value >= goal,
                }
            )

    ratio("get by id", 0.60)
    ratio("healthz", 0.85)
    ratio("POST", 0.35)
    ratio("PATCH priority", 0.35)
    small, large = by_name.get("list status=new limit=100 @1k"), by_name.get("list status=new limit=100 @100k")
    if small and large:
        growth = large["p50_ms"] / small["p50_ms"]
        out.append({"target": "list p50 @100k ≤ 1.5× p50 @1k", "value": f"{growth:.2f}×", "met": growth <= 1.5})
    worst = max(r["rss_mib"] for r in by_name.values() if r["server"] != "ceiling")
    out.append({"target": "server RSS ≤ 120 MiB", "value": f"{worst:.0f} MiB (largest)", "met": worst <= 120})
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | errors | RSS MiB | ratio to ceiling | per CPU-second |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for row in report["scenarios"]:
        errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items() if v) or "0"
        lines.append(
            f"| {row['scenario']} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {errors} "
            f"| {row['rss_mib']:.0f} | {row['ratio_to_ceiling']:.2f} | {row['ratio_per_cpu_second']:.2f} |"
        )
    lines += [
        "",
        "req/s, p50, p99: medians over the repeats. Ratio to ceiling: median of req/s ÷ the ceiling's req/s "
        "in a run just before (paired). Per CPU-second: the same ratio of requests per second of server CPU "
        "time, which other processes on a shared machine cannot move.",
    ]
    lines += ["", "| target (ratio to ceiling) | this run | per CPU-second | met |", "|---|---|---|---|"]
    lines += [
        f"| {t['target']} | {t['value']} | {t.get('cpu_value', '')} | {'yes' if t['met'] else 'NO'} |"
        for t in report["targets"]
    ]
    m, s = report["machine"], report["settings"]
    lines += [
        "",
        f"Machine: {m['cpu']} ({m['cores']} cores), Linux {m['kernel']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}; load average at start {m['loadavg_at_start']}.",
        f"wrk: {s['connections']} connections, 1 thread, {s['seconds']:g} s × {s['repeats']} repeats "
        f"(medians shown) after a {s['warmup_seconds']:g} s warm-up; server on CPU {s['server_cpu']}, "
        f"wrk on CPU {s['load_generator_cpu']}.",
    ]
    lines += ["", "Checks:"] + [f"- {note}" for note in report["durability"]]
    for row in report["scenarios"]:
        lines += [f"- {row['scenario']}: {c}" for c in row["checks"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
