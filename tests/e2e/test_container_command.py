"""The container's command, run natively: the Dockerfile's CMD, HEALTHCHECK and ENV (and compose's
environment on top) start a service that answers, reports itself healthy, logs JSON lines and
stops cleanly on `docker stop`'s SIGTERM. No container engine runs here; this is the next best thing."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.ops.container import compose, dockerfile_stages, exec_form, healthcheck_command, interpolate
from tests.process import executable, running

pytestmark = pytest.mark.e2e

RUNTIME = dockerfile_stages()[-1]
# PATH: this venv's bin. JWT_SECRET: prod needs one, and the operator gives it (never the image).
IMAGE_ENV = {
    **{name: value for name, value in RUNTIME.env().items() if name != "PATH"},
    "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
}


def resolve(argv: list[str]) -> list[str]:
    """The image finds console scripts on PATH=/app/.venv/bin; here they are in this venv."""
    program, *arguments = argv
    return [executable(program), *arguments]


@pytest.fixture
def compose_database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


def image_environment(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"  # the image's /data volume
    data.mkdir()
    return {**IMAGE_ENV, "DATABASE_URL": IMAGE_ENV["DATABASE_URL"].replace("////data/", f"///{data}/")}


def compose_environment(database_url: str) -> dict[str, str]:
    app = compose()["services"]["app"]
    values = {
        name: interpolate(str(value), {"POSTGRES_PASSWORD": "pw", "JWT_SECRET": IMAGE_ENV["JWT_SECRET"]})
        for name, value in app["environment"].items()
    }
    assert values["DATABASE_URL"].startswith("postgresql+asyncpg://taskservice:pw@db:5432/")
    # The `db` host exists only on compose's network: here the test server's fresh database stands in.
    return {**IMAGE_ENV, **values, "DATABASE_URL": database_url}


def run_as_the_container_would(environment: dict[str, str], workdir: Path) -> None:
    # `running` sets PORT to a free port: the container's 8000 may be taken on this host.
    with running(workdir, environment, argv=resolve(exec_form(RUNTIME.last("CMD")))) as server:
        healthcheck = subprocess.run(
            resolve(healthcheck_command(RUNTIME.last("HEALTHCHECK"))),
            env={"PATH": "/usr/bin:/bin", **environment, "PORT": str(server.port)},
            cwd=workdir,
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert healthcheck.returncode == 0, healthcheck
        with httpx.Client(base_url=server.base_url, timeout=10, headers=server.headers) as client:
            created = client.post("/v1/tasks", json={"title": "from the container", "priority": 2})
            assert created.status_code == 201
            ready = client.get("/readyz")
            assert ready.json()["checks"]["database"]["status"] == "ok"
        assert server.stop() == 0  # docker stop: SIGTERM
        records = [json.loads(line) for line in server.log().splitlines()]  # prod: JSON lines only
    access = [r for r in records if r["logger"] == "taskservice.access"]
    assert [(r["method"], r["path"], r["status"]) for r in access] == [
        ("GET", "/healthz", 200),  # the start-up wait
        ("GET", "/healthz", 200),  # the HEALTHCHECK command
        ("POST", "/v1/tasks", 201),
        ("GET", "/readyz", 200),
    ]
    assert all(r["level"] in ("info", "debug") for r in records)


def test_the_image_command_serves_sqlite_on_its_volume_and_stops_cleanly(tmp_path: Path) -> None:
    run_as_the_container_would(image_environment(tmp_path), tmp_path)
    assert (tmp_path / "data" / "taskservice.db").is_file()


@pytest.mark.postgres
def test_the_compose_app_serves_postgres_migrated_on_start_and_stops_cleanly(
    tmp_path: Path, compose_database_url: str
) -> None:
    run_as_the_container_would(compose_environment(compose_database_url), tmp_path)
