"""The operator's path to a first key on a real database: `taskservice create-admin` in its own
process prints the key alone on stdout, then a real server accepts it."""

import os
import re
import subprocess
from collections.abc import Generator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.process import MODULE, running

pytestmark = pytest.mark.e2e

KEY_LINE = re.compile(r"tsk_[A-Za-z0-9_-]{43}\n")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Generator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
        return
    request.applymarker(pytest.mark.postgres)
    with fresh_postgres_database() as url:
        yield url


def create_admin(cwd: Path, environ: dict[str, str], email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MODULE, "create-admin", "--email", email, "--name", "Ops"],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), **environ},  # as tests/process.py: nothing else leaks in
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_create_admin_prints_a_key_a_real_server_accepts(database_url: str, tmp_path: Path) -> None:
    environ = {"APP_ENV": "test", "LOG_LEVEL": "INFO", "HOST": "127.0.0.1", "DATABASE_URL": database_url}
    made = create_admin(tmp_path, environ, "ops@example.com")
    assert made.returncode == 0, made.stderr
    assert KEY_LINE.fullmatch(made.stdout)
    assert "created admin ops@example.com" in made.stderr
    again = create_admin(tmp_path, environ, "ops@example.com")
    assert again.returncode == 0, again.stderr
    keys = [made.stdout.strip(), again.stdout.strip()]
    assert keys[0] != keys[1]
    with running(tmp_path, environ, argv=[*MODULE, "serve"]) as service:
        mes = [
            httpx.get(service.url("/v1/users/me"), headers={"Authorization": f"Bearer {k}"}, timeout=10) for k in keys
        ]
        for me in mes:
            assert me.status_code == 200, me.text
            assert (me.json()["email"], me.json()["role"]) == ("ops@example.com", "admin")
        created = httpx.post(
            service.url("/v1/tasks"),
            json={"title": "first", "priority": 1},
            headers={"Authorization": f"Bearer {keys[0]}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        assert created.json()["created_by"] == mes[0].json()["id"]
        assert httpx.get(service.url("/v1/users/me"), timeout=10).status_code == 401
    assert keys[0] not in service.log()
