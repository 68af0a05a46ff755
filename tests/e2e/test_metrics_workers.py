"""/metrics of a real server with WORKERS=2: whichever worker answers a scrape, it reports every
worker's requests and pool, and a worker that was killed and replaced neither lowers the totals
nor leaves its pool counted. (Connections in use are not asserted here: another worker's gauges
are up to a second old, and may date from a request in flight; tests/storage checks them.)"""

import os
import signal
import time
from collections.abc import Generator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.metrics_text import Samples, parse, value
from tests.process import MODULE, Service, running

pytestmark = pytest.mark.e2e

WORKERS = 2
REQUESTS = 30
SQLITE_CONNECTIONS = 2  # per worker: one writer, one reader
POSTGRES_POOL = 3  # DB_POOL_SIZE, per worker
BY_ID = "/v1/tasks/{task_id}"
WAIT_SECONDS = 20.0


ENVIRONMENT = {"APP_ENV": "test", "LOG_LEVEL": "INFO", "HOST": "127.0.0.1"}


@pytest.fixture
def service(tmp_path: Path) -> Generator[Service]:
    environ = {**ENVIRONMENT, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"}
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=WORKERS) as started:
        yield started


@pytest.fixture
def postgres_service(tmp_path: Path) -> Generator[Service]:
    with fresh_postgres_database() as url:
        environ = {**ENVIRONMENT, "DATABASE_URL": url, "DB_POOL_SIZE": str(POSTGRES_POOL)}
        with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=WORKERS) as started:
            yield started


def fresh_connection(service: Service) -> httpx.Client:
    """A client that opens a new connection per request, so the kernel hands requests to both workers."""
    return httpx.Client(
        base_url=service.base_url,
        headers=service.headers,
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def scrape(http: httpx.Client) -> Samples:
    response = http.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def scrape_until_pool_is(http: httpx.Client, size: int) -> Samples:
    """Scrapes until every worker has sampled its pool (within a second of starting), bounded."""
    deadline = time.monotonic() + WAIT_SECONDS
    samples = scrape(http)
    while value(samples, "db_pool_size") != size and time.monotonic() < deadline:
        time.sleep(0.2)
        samples = scrape(http)
    return samples


def worker_pids(supervisor: int) -> set[int]:
    """The uvicorn workers of `supervisor`: its children started by multiprocessing's spawn (not
    multiprocessing's resource tracker, its other child), read from Linux's /proc."""
    workers: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == supervisor and b"spawn_main" in command:
                workers.add(int(entry.name))
    return workers


def test_every_scrape_reports_the_requests_and_pools_of_both_workers(service: Service) -> None:
    with fresh_connection(service) as http:
        task_id = http.post("/v1/tasks", json={"title": "scraped", "priority": 1}).json()["id"]
        for _ in range(REQUESTS):
            assert http.get(f"/v1/tasks/{task_id}").status_code == 200

        scrape_until_pool_is(http, WORKERS * SQLITE_CONNECTIONS)
        scrapes = [scrape(http) for _ in range(6)]

    for samples in scrapes:  # whichever worker answered it
        assert value(samples, "http_requests_total", method="GET", route=BY_ID, status="200") == REQUESTS
        assert value(samples, "http_requests_total", method="POST", route="/v1/tasks", status="201") == 1
        assert value(samples, "http_request_duration_seconds_count", method="GET", route=BY_ID) == REQUESTS
        assert value(samples, "db_pool_size") == WORKERS * SQLITE_CONNECTIONS
        assert value(samples, "events_unpublished", listener="EventLog") == 0


def test_a_killed_worker_is_replaced_without_losing_counts_or_leaving_its_pool_counted(service: Service) -> None:
    with fresh_connection(service) as http:
        for _ in range(REQUESTS):
            assert http.get("/readyz").status_code == 200
        scrape_until_pool_is(http, WORKERS * SQLITE_CONNECTIONS)
        workers = worker_pids(service.pid)
        assert len(workers) == WORKERS

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + WAIT_SECONDS
        while (len(worker_pids(service.pid) - {victim}) < WORKERS) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(worker_pids(service.pid) - {victim}) == WORKERS, service.log()
        assert http.get("/readyz").status_code == 200  # counted by whichever worker serves it

        samples = scrape_until_pool_is(http, WORKERS * SQLITE_CONNECTIONS)

    assert value(samples, "db_pool_size") == WORKERS * SQLITE_CONNECTIONS  # not 3 workers' worth
    # The killed worker's requests still count (the test harness itself polls /healthz, not /readyz).
    assert value(samples, "http_requests_total", method="GET", route="/readyz", status="200") == REQUESTS + 1


@pytest.mark.postgres
def test_on_postgresql_the_pools_of_both_workers_are_summed(postgres_service: Service) -> None:
    with fresh_connection(postgres_service) as http:
        for _ in range(REQUESTS):
            assert http.get("/readyz").status_code == 200
        samples = scrape_until_pool_is(http, WORKERS * POSTGRES_POOL)
        scrapes = [samples, *(scrape(http) for _ in range(4))]

    for samples in scrapes:
        assert value(samples, "db_pool_size") == WORKERS * POSTGRES_POOL
        assert value(samples, "http_requests_total", method="GET", route="/readyz", status="200") == REQUESTS
