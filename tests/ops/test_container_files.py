"""The Dockerfile, .dockerignore and compose.yaml, checked for what no linter knows about this service.
(hadolint and the compose JSON schema run in the lint session.)"""

import re
import tomllib
from typing import Any

import pytest

from taskservice.settings import load_settings
from tests.ops.container import ROOT, compose, dockerfile_stages, exec_form, healthcheck_command, interpolate

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCKER_ENV = {"POSTGRES_PASSWORD": "pw", "APP_DB_PASSWORD": "app-pw", "JWT_SECRET": "j" * 48}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = compose()["services"]
    return loaded


def test_the_image_is_built_in_stages_from_the_lock_onto_a_slim_python() -> None:
    *builders, runtime = dockerfile_stages()
    assert builders, "multi-stage: the runtime image carries no build tooling"
    assert "python:" in runtime.base
    assert runtime.base.endswith("-slim-bookworm") or "-slim" in runtime.base
    build_steps = " ".join(step for stage in builders for step in stage.all("RUN"))
    # No nox, no dev tools; the project as a package (not a link to the sources), bytecode compiled.
    assert "uv sync --frozen --no-default-groups --no-editable" in build_steps
    assert next(stage for stage in builders if stage.name == "build").env()["UV_COMPILE_BYTECODE"] == "1"
    assert not any("uv" in step.split() for step in runtime.all("RUN"))
    assert runtime.all("COPY") == [
        "--from=build /app/.venv /app/.venv",
        "--from=build /app/pyproject.toml /app/pyproject.toml",
        "--from=build /app/migrations /app/migrations",
    ]


def test_every_base_image_is_pinned_by_digest_and_the_image_has_oci_labels() -> None:
    stages = dockerfile_stages()
    assert all(DIGEST.search(stage.base) for stage in stages), [stage.base for stage in stages]
    pythons = [stage.base for stage in stages if stage.base.startswith("python:")]
    assert len(pythons) == 2
    assert len(set(pythons)) == 1  # build and runtime on the very same base
    digest = DIGEST.search(pythons[0])
    assert digest is not None
    labels = " ".join(stages[-1].all("LABEL"))
    for key in ("title", "description", "version", "revision", "base.name", "base.digest"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert digest[0].removeprefix("@") in labels


def test_the_image_keeps_pyproject_and_migrations_in_its_working_directory() -> None:
    build = next(stage for stage in dockerfile_stages() if stage.name == "build")
    copied = " ".join(build.all("COPY"))
    for needed in ("pyproject.toml", "uv.lock", "src", "migrations"):
        assert needed in copied
    # Installed non-editable, adapters/sql/migrations.py finds them in the working directory.
    assert build.last("WORKDIR") == dockerfile_stages()[-1].last("WORKDIR") == "/app"
    assert build.env()["UV_PROJECT_ENVIRONMENT"] == "/app/.venv"


def test_the_image_runs_the_console_script_as_a_non_root_user_with_the_container_settings() -> None:
    runtime = dockerfile_stages()[-1]
    env = runtime.env()
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["TZ"] == "UTC"
    assert env["HOST"] == "0.0.0.0"  # noqa: S104 - reachable from outside the container
    assert env["APP_ENV"] == "prod"
    assert env["DATABASE_URL"].startswith("sqlite+aiosqlite:////data/")
    assert "/data" in runtime.last("VOLUME")
    assert env["PATH"].startswith("/app/.venv/bin:")
    assert runtime.last("EXPOSE") == env["PORT"] == "8000"
    user = runtime.last("USER").split(":")[0]
    assert user not in ("root", "0")
    # The README's `uv run taskservice` runs this same console script.
    command = exec_form(runtime.last("CMD"))
    assert command == ["taskservice"]
    assert "taskservice" in PROJECT["project"]["scripts"]
    assert healthcheck_command(runtime.last("HEALTHCHECK")) == ["taskservice", "check"]
    assert "JWT_SECRET" not in env  # a secret is the operator's to give, never baked into the image
    operator = {"JWT_SECRET": DOCKER_ENV["JWT_SECRET"]}
    settings = load_settings(
        {**{k: v for k, v in env.items() if k != "PATH"}, **operator}, env_dir=ROOT / "nonexistent"
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)  # noqa: S104


def test_dockerignore_keeps_secrets_and_local_state_out_and_the_build_inputs_in() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for kept_out in (".env", ".env.*", ".venv", ".git", "*.db", "tests", ".nox"):
        assert kept_out in ignored
    for needed in ("pyproject.toml", "uv.lock", "README.md", "src", "migrations"):
        assert needed not in ignored


def test_compose_runs_the_app_and_postgres_with_health_checks(services: dict[str, Any]) -> None:
    assert set(services) == {"app", "db"}
    app, db = services["app"], services["db"]
    assert app["build"] == "."
    assert app["healthcheck"]["test"] == ["CMD", "taskservice", "check"]
    assert db["image"].startswith("postgres:")
    assert DIGEST.search(db["image"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for service in (app, db):
        assert {"interval", "timeout", "retries"} <= service["healthcheck"].keys()


def test_the_app_waits_for_a_healthy_database_and_publishes_its_port(services: dict[str, Any]) -> None:
    app = services["app"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    # This host only, unless told otherwise.
    assert [interpolate(mapping, {}) for mapping in app["ports"]] == ["127.0.0.1:8000:8000"]
    told = {"TASKSERVICE_PUBLISH": "0.0.0.0:9000"}
    assert [interpolate(mapping, told) for mapping in app["ports"]] == ["0.0.0.0:9000:8000"]


def test_both_services_have_resource_limits_and_rotated_logs(services: dict[str, Any]) -> None:
    for service in services.values():
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0
        assert re.fullmatch(r"\d+[MG]", limits["memory"])
        logging = service["logging"]
        assert logging["driver"] == "json-file"
        assert {"max-size", "max-file"} <= logging["options"].keys()


def test_postgres_keeps_its_data_on_a_named_volume(services: dict[str, Any]) -> None:
    mount, _init_script = services["db"]["volumes"]  # the init script: tests/ops/test_app_role.py
    volume, _, target = mount.partition(":")
    assert volume in compose()["volumes"]
    assert target == "/var/lib/postgresql/data"


def test_the_app_environment_is_valid_settings_pointing_at_the_db_service(services: dict[str, Any]) -> None:
    app, db = services["app"], services["db"]
    environment = {name: interpolate(str(value), DOCKER_ENV) for name, value in app["environment"].items()}
    settings = load_settings(environment, env_dir=ROOT / "nonexistent")
    assert (settings.host, settings.port, settings.migrate_on_start) == ("0.0.0.0", 8000, True)  # noqa: S104
    assert settings.app_env.value == "prod"  # whatever a developer's .env says
    db_env = {name: interpolate(str(value), DOCKER_ENV) for name, value in db["environment"].items()}
    # The app's own role (deploy/postgres/create-app-role.sh), not the superuser.
    expected = f"postgresql+asyncpg://{db_env['APP_DB_USER']}:app-pw@db:5432/{db_env['POSTGRES_DB']}"
    assert settings.database_url == expected
    assert app["env_file"] == [{"path": ".env", "required": False}]  # the operator's .env reaches the app


def test_compose_refuses_to_start_without_the_database_passwords(services: dict[str, Any]) -> None:
    with pytest.raises(KeyError, match="APP_DB_PASSWORD"):
        interpolate(services["app"]["environment"]["DATABASE_URL"], {})
    with pytest.raises(KeyError, match="APP_DB_PASSWORD"):
        interpolate(services["db"]["environment"]["APP_DB_PASSWORD"], {})
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(services["db"]["environment"]["POSTGRES_PASSWORD"], {})


def test_compose_refuses_to_start_without_a_token_secret(services: dict[str, Any]) -> None:
    with pytest.raises(KeyError, match="JWT_SECRET"):
        interpolate(services["app"]["environment"]["JWT_SECRET"], {})


def test_the_app_gets_more_time_to_stop_than_its_shutdown_needs(services: dict[str, Any]) -> None:
    settings = load_settings({}, env_dir=ROOT / "nonexistent")
    grace = int(services["app"]["stop_grace_period"].removesuffix("s"))
    # In-flight requests, then the event queue: each bounded by SHUTDOWN_TIMEOUT.
    assert grace > 2 * settings.shutdown_timeout
