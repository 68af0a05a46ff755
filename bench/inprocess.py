"""CPU per request of the real app, in process, without HTTP: where our own code spends its time.

Thirty-two concurrent clients call the ASGI app (create_app, prod settings, JSON logs to a
file) directly, each send yielding to the loop as a socket write would, on a SQLite file (or,
with `--postgres`, a PostgreSQL database) seeded like the benchmark's. Reported per request:
CPU of the event-loop thread, CPU of the whole process, wall time. No uvicorn, no sockets: the
difference to the wrk benchmark is the server's own per-request cost, the same for the
ceiling. Pin it to one core as the benchmark pins the server:

    taskset -c 0 uv run python bench/inprocess.py post [--requests 200] [--profile out.prof]
    taskset -c 0 uv run python bench/inprocess.py get --postgres postgresql://postgres@127.0.0.1:5432/test

With OTEL_EXPORTER_OTLP_ENDPOINT set, the app traces to it (the process CPU then includes the
exporter's thread). Scenarios: healthz, get, post, patch, list (status=new), list-all. Seeds a fresh 10,000-task file
in a temporary directory (or a fresh database on the `--postgres` server, dropped after) each run.
"""

import argparse
import asyncio
import cProfile
import itertools
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from seed import seed
from sqlalchemy.engine import make_url
from stores import admin

from taskservice.adapters.credentials import new_api_key
from taskservice.bootstrap import create_app
from taskservice.logs import configure_logging
from taskservice.settings import load_settings

SEEDED = 10_000
CLIENTS = 32
JSON = [(b"content-type", b"application/json")]


def http_scope(
    method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8000"), *AUTHORIZATION, *(headers or [])],
        "state": {},
    }


# prod needs a JWT_SECRET; the requests carry an API key (run() fills AUTHORIZATION).
_SECRET = {"JWT_SECRET": "an-inprocess-bench-secret-of-32-bytes-or-more"}
AUTHORIZATION: list[tuple[bytes, bytes]] = []


def request_maker(scenario: str) -> Any:
    counter = itertools.count()
    nonce = random.random()

    def make() -> tuple[dict[str, Any], bytes]:
        if scenario == "healthz":
            return http_scope("GET", "/healthz"), b""
        if scenario == "get":
            return http_scope("GET", f"/v1/tasks/{random.randint(1, SEEDED)}"), b""
        if scenario == "list":
            return http_scope("GET", "/v1/tasks", b"status=new&limit=100"), b""
        if scenario == "list-all":
            return http_scope("GET", "/v1/tasks", b"limit=100"), b""
        if scenario == "post":
            body = f'{{"title": "inprocess {nonce} {next(counter)}", "priority": 2}}'.encode()
            return http_scope("POST", "/v1/tasks", headers=JSON), body
        body = f'{{"priority": {random.randint(1, 5)}}}'.encode()
        return http_scope("PATCH", f"/v1/tasks/{random.randint(1, SEEDED)}", headers=JSON), body

    return make


async def run(scenario: str, requests: int, database_url: str, log: Path, profile: Path | None) -> None:
    # The rate limit runs on every request, but the clients' one address must not reach it (as in
    # bench/servers.py); RATE_LIMIT=off in the environment measures without it, and
    # RATE_LIMIT_STORE=redis://… with Redis. Tracing is on as an operator turns it on:
    # OTEL_EXPORTER_OTLP_ENDPOINT in the environment.
    environ = {"APP_ENV": "prod", "DATABASE_URL": database_url, "RATE_LIMIT": "1000000000/minute", **_SECRET}
    passed = ("RATE_LIMIT", "RATE_LIMIT_STORE", "OTEL_EXPORTER_OTLP_ENDPOINT")
    environ |= {name: os.environ[name] for name in passed if name in os.environ}
    settings = load_settings(environ, env_dir=Path("/nonexistent"))
    sys.stdout = log.open("w")
    configure_logging(settings)
    # Every request carries an admin's API key, as a real client's does.
    key = new_api_key()
    app = create_app(settings, admin_key=key)
    AUTHORIZATION.append((b"authorization", f"Bearer {key[0]}".encode()))
    lifespan_in: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan_out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await lifespan_in.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lifespan_in.get, lifespan_out.put)  # pyright: ignore[reportArgumentType]
    )
    assert (await lifespan_out.get())["type"] == "lifespan.startup.complete"
    make = request_maker(scenario)
    statuses: list[int] = []

    async def client(n: int) -> None:
        for _ in range(n):
            scope, body = make()

            async def receive(body: bytes = body) -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])
                await asyncio.sleep(0)  # a socket write yields to the loop

            await app(scope, receive, send)  # pyright: ignore[reportArgumentType]

    await asyncio.gather(*(client(20) for _ in range(CLIENTS)))  # warm-up
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    thread0, usage0, wall0 = time.thread_time(), resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(client(requests) for _ in range(CLIENTS)))
    thread1, usage1, wall1 = time.thread_time(), resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    await lifespan_in.put({"type": "lifespan.shutdown"})
    await lifespan
    n = CLIENTS * requests
    process = usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
    failures = [s for s in statuses if not 200 <= s < 300]
    print(
        f"{scenario}: loop thread {(thread1 - thread0) / n * 1e6:.1f} µs/request, "
        f"process {process / n * 1e6:.1f} µs/request, wall {(wall1 - wall0) / n * 1e6:.1f} µs/request, "
        f"{len(failures)} non-2xx",
        file=sys.stderr,
    )
    if failures:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["healthz", "get", "post", "patch", "list", "list-all"])
    parser.add_argument("--requests", type=int, default=200, help="requests per client (32 clients)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed part here")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on (a fresh database on it)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taskservice-inprocess-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'tasks.db'}"
        scratch = f"taskservice_inprocess_{os.getpid()}"
        if options.postgres:
            asyncio.run(admin(options.postgres, f'CREATE DATABASE "{scratch}"'))
            database_url = make_url(options.postgres).set(database=scratch).render_as_string(hide_password=False)
        try:
            env = {**os.environ, "APP_ENV": "prod", "DATABASE_URL": database_url, **_SECRET}
            subprocess.run(
                [sys.executable, "-m", "taskservice", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
            )
            asyncio.run(seed(database_url, SEEDED))
            log = Path(tmp) / "server.log"
            asyncio.run(run(options.scenario, options.requests, database_url, log, options.profile))
        finally:
            if options.postgres:
                asyncio.run(admin(options.postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
