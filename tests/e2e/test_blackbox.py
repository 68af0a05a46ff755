"""Black-box scenarios against the real process, started exactly as the README (`uv run taskservice`:
the console script, in a working directory, default settings) and the Dockerfile (its CMD with its
ENV) start it, on a temporary SQLite file and on PostgreSQL. Only HTTP goes in and out.
(Durability across restarts is tests/e2e/test_storage_durability.py's.)"""

import signal
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.ops.container import dockerfile_stages, exec_form
from tests.process import Service, executable, running

pytestmark = pytest.mark.e2e

RUNTIME = dockerfile_stages()[-1]


@dataclass(frozen=True)
class Launch:
    """How the process is started: the command, the environment, where its SQLite file lands."""

    how: str  # "readme" or "dockerfile"
    store: str  # "sqlite" or "postgres"

    def argv(self) -> list[str]:
        if self.how == "readme":
            return [executable("taskservice")]  # what `uv run taskservice` runs
        program, *arguments = exec_form(RUNTIME.last("CMD"))
        return [executable(program), *arguments]  # the image's PATH starts with its venv's bin

    def environment(self, workdir: Path, database_url: str | None) -> dict[str, str]:
        environ: dict[str, str] = {}  # PORT: a free one, from `running`
        if self.how == "dockerfile":
            image = {name: value for name, value in RUNTIME.env().items() if name != "PATH"}
            data = workdir / "data"  # the image's /data volume
            data.mkdir(exist_ok=True)
            environ = {
                **image,
                "DATABASE_URL": image["DATABASE_URL"].replace("////data/", f"///{data}/"),
                "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",  # prod: the operator gives one
            }
        if database_url is not None:
            environ["DATABASE_URL"] = database_url
        return environ

    def sqlite_file(self, workdir: Path) -> Path:
        return workdir / "data" / "taskservice.db" if self.how == "dockerfile" else workdir / "taskservice.db"


LAUNCHES = [
    pytest.param(Launch(how, store), id=f"{how}-{store}", marks=[pytest.mark.postgres] if store == "postgres" else [])
    for how in ("readme", "dockerfile")
    for store in ("sqlite", "postgres")
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite (each launch's own default file); a fresh PostgreSQL database otherwise."""
    launch: Launch = request.getfixturevalue("launch")
    if launch.store == "sqlite":
        yield None
        return
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def serve(launch: Launch, workdir: Path, database_url: str | None) -> Generator[httpx.Client]:
    with running(workdir, launch.environment(workdir, database_url), argv=launch.argv()) as server:
        with httpx.Client(base_url=server.base_url, timeout=10, headers=server.headers) as client:
            yield client
        stop_cleanly(server)


def stop_cleanly(server: Service) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: either exit is a clean stop.
    assert server.stop() in (0, -signal.SIGTERM), server.log()


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


@pytest.mark.parametrize("launch", LAUNCHES)
def test_a_task_lives_its_whole_life_through_the_real_process(
    launch: Launch, database_url: str | None, tmp_path: Path
) -> None:
    with serve(launch, tmp_path, database_url) as client:
        assert client.get("/readyz").json()["status"] == "ready"
        created = client.post(
            "/v1/tasks", json={"title": "  Straße bauen ", "priority": 4}, headers={"x-request-id": "e2e-1"}
        )
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == "e2e-1"
        task = created.json()
        assert task["title"] == "Straße bauen"
        assert client.get(created.headers["location"]).json() == task

        other = client.post("/v1/tasks", json={"title": "Second", "priority": 4, "status": "completed"}).json()
        assert_envelope(client.post("/v1/tasks", json={"title": "STRASSE BAUEN", "priority": 1}), 409, "duplicate_task")

        page = client.get("/v1/tasks", params={"order_by": "priority", "limit": "1"}).json()
        assert (page["total"], [t["id"] for t in page["items"]]) == (2, [task["id"]])  # tie: created first
        completed = client.get("/v1/tasks", params=[("status", "completed"), ("status", "in_progress")]).json()
        assert [t["id"] for t in completed["items"]] == [other["id"]]

        unchanged = client.put(f"/v1/tasks/{task['id']}", json={"title": "Straße bauen", "priority": 4})
        assert unchanged.json() == task  # a write of equal values changes nothing
        patched = client.patch(f"/v1/tasks/{task['id']}", json={"status": "in_progress", "description": "now"})
        assert patched.status_code == 200
        assert patched.json()["updated_at"] > task["updated_at"]
        assert patched.json()["version"] == task["version"] + 1

        assert client.delete(f"/v1/tasks/{task['id']}").status_code == 204
        assert_envelope(client.get(f"/v1/tasks/{task['id']}"), 404, "task_not_found")
        assert_envelope(client.get("/v1/nowhere"), 404, "not_found")
        assert_envelope(client.delete("/v1/tasks"), 405, "method_not_allowed")
        assert_envelope(
            client.post("/v1/tasks", content=b"{", headers={"content-type": "application/json"}),
            422,
            "validation_error",
        )
        assert client.get("/schema/openapi.json").json()["info"]["title"] == "taskservice"
    if launch.store == "sqlite":
        assert launch.sqlite_file(tmp_path).is_file()
