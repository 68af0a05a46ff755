"""The container's command, run natively: the Dockerfile's CMD, HEALTHCHECK and ENV (and compose's
environment on top) start a service that answers, reports itself healthy, logs JSON lines and
stops cleanly on `docker stop`'s SIGTERM. No container engine runs here; this is the next best thing:
the image's /app is rebuilt in a temporary directory as the Dockerfile builds it (the project
installed non-editable from uv.lock with its bytecode compiled, no dependency group; pyproject.toml
and migrations/ beside the virtualenv), and the command runs there."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.ops.container import ROOT, compose, dockerfile_stages, exec_form, healthcheck_command, interpolate
from tests.process import running

pytestmark = pytest.mark.e2e

RUNTIME = dockerfile_stages()[-1]
# PATH: this venv's bin. JWT_SECRET: prod needs one, and the operator gives it (never the image).
IMAGE_ENV = {
    **{name: value for name, value in RUNTIME.env().items() if name != "PATH"},
    "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
}


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's /app: `uv sync --frozen --no-default-groups --no-editable` into app/.venv, with
    pyproject.toml and migrations/ copied beside it (what the runtime stage copies from the build)."""
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    uv = shutil.which("uv")
    assert uv is not None, "uv must be on PATH to build the image's virtualenv"
    subprocess.run(
        [uv, "sync", "--frozen", "--no-default-groups", "--no-editable", "--quiet"],
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(app / ".venv"), "UV_COMPILE_BYTECODE": "1"},
        check=True,
        timeout=600,
    )
    shutil.copy(ROOT / "pyproject.toml", app / "pyproject.toml")
    shutil.copytree(ROOT / "migrations", app / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    return app


def resolve(argv: list[str], app: Path) -> list[str]:
    """The image finds console scripts on PATH=/app/.venv/bin."""
    program, *arguments = argv
    return [str(app / ".venv" / "bin" / program), *arguments]


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
        name: interpolate(str(value), {"APP_DB_PASSWORD": "pw", "JWT_SECRET": IMAGE_ENV["JWT_SECRET"]})
        for name, value in app["environment"].items()
    }
    assert values["DATABASE_URL"].startswith("postgresql+asyncpg://taskservice:pw@db:5432/")
    # The `db` host exists only on compose's network: here the test server's fresh database stands in.
    return {**IMAGE_ENV, **values, "DATABASE_URL": database_url}


def run_as_the_container_would(environment: dict[str, str], app: Path) -> None:
    # `running` sets PORT to a free port: the container's 8000 may be taken on this host.
    assert RUNTIME.last("WORKDIR") == "/app"
    environment = {**environment, "PATH": f"{app / '.venv' / 'bin'}:/usr/bin:/bin"}
    (app / "taskservice.log").unlink(missing_ok=True)  # the log of this run only (the app dir is shared)
    with running(app, environment, argv=resolve(exec_form(RUNTIME.last("CMD")), app)) as server:
        healthcheck = subprocess.run(
            resolve(healthcheck_command(RUNTIME.last("HEALTHCHECK")), app),
            env={**environment, "PORT": str(server.port)},
            cwd=app,
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
        # /readyz too, but at DEBUG, below prod's INFO (docs/operations.md, Logs)
    ]
    assert all(r["level"] in ("info", "debug") for r in records)


def test_the_image_command_serves_sqlite_on_its_volume_and_stops_cleanly(tmp_path: Path, app_dir: Path) -> None:
    run_as_the_container_would(image_environment(tmp_path), app_dir)
    assert (tmp_path / "data" / "taskservice.db").is_file()


def test_the_image_runs_the_installed_package_not_the_sources(app_dir: Path) -> None:
    found = subprocess.run(
        [str(app_dir / ".venv" / "bin" / "python"), "-c", "import taskservice; print(taskservice.__file__)"],
        cwd=app_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(found.stdout.strip())
    assert location.is_relative_to(app_dir / ".venv" / "lib")  # not a link back to src/
    assert list(location.parent.glob("__pycache__/*.pyc"))  # compiled at build time


@pytest.mark.postgres
def test_the_compose_app_serves_postgres_migrated_on_start_and_stops_cleanly(
    compose_database_url: str, app_dir: Path
) -> None:
    run_as_the_container_would(compose_environment(compose_database_url), app_dir)
