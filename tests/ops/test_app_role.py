"""compose's PostgreSQL init script, run against the real server: the role it creates can migrate
its schema and write, and nothing more (not a superuser, no CREATE DATABASE, no CREATE ROLE)."""

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg  # pyright: ignore[reportMissingTypeStubs]
import pytest
from sqlalchemy.engine import make_url

from tests.auth import admin_client
from tests.conftest import make_settings
from tests.databases import _admin, admin_url, fresh_postgres_database  # pyright: ignore[reportPrivateUsage]
from tests.ops.container import ROOT, compose

pytestmark = pytest.mark.postgres

SCRIPT = ROOT / "deploy" / "postgres" / "create-app-role.sh"
PASSWORD = "app-role-pw"


@pytest.fixture
def app_role_url() -> Iterator[str]:
    """A scratch database set up by the init script, as the postgres image runs it; the app's URL."""
    role = f"ts_app_{uuid.uuid4().hex[:10]}"
    try:
        with fresh_postgres_database() as url:
            server = make_url(url)
            subprocess.run(
                ["bash", str(SCRIPT)],
                env={
                    "PATH": os.environ["PATH"],
                    "PGHOST": server.host or "127.0.0.1",
                    "PGPORT": str(server.port or 5432),
                    "POSTGRES_USER": server.username or "postgres",
                    "POSTGRES_DB": server.database or "",
                    "APP_DB_USER": role,
                    "APP_DB_PASSWORD": PASSWORD,
                },
                check=True,
                capture_output=True,
                timeout=60,
            )
            yield server.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP ROLE IF EXISTS "{role}"', admin_url()))


async def as_role(url: str, sql: str) -> Any:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection: Any = await asyncpg.connect(dsn)  # pyright: ignore[reportUnknownMemberType]
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


async def test_the_app_role_migrates_its_schema_and_writes(app_role_url: str) -> None:
    settings = make_settings(DATABASE_URL=app_role_url, MIGRATE_ON_START="true")
    async with admin_client(settings) as client:  # the lifespan migrates
        created = await client.post("/v1/tasks", json={"title": "as the app role", "priority": 1})
        assert created.status_code == 201, created.text
        assert (await client.get(f"/v1/tasks/{created.json()['id']}")).status_code == 200

    role = make_url(app_role_url).username
    tables = await as_role(app_role_url, "SELECT table_schema, table_name FROM information_schema.tables")
    assert {(r["table_schema"], r["table_name"]) for r in tables} >= {(role, "tasks"), (role, "alembic_version")}
    assert not [r for r in tables if r["table_schema"] == "public"]


async def test_the_app_role_is_not_a_superuser_and_cannot_create_databases_or_roles(app_role_url: str) -> None:
    (flags,) = await as_role(
        app_role_url, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )
    assert tuple(flags) == (False, False, False)
    for statement in ("CREATE DATABASE ts_should_not_exist", "CREATE ROLE ts_should_not_exist"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_role(app_role_url, statement)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_role(app_role_url, "CREATE TABLE public.sneaky (id int)")


def test_compose_mounts_the_script_and_the_app_connects_as_the_role_it_creates() -> None:
    services = compose()["services"]
    assert (
        "./deploy/postgres/create-app-role.sh:/docker-entrypoint-initdb.d/10-create-app-role.sh:ro"
        in (services["db"]["volumes"])
    )
    app_user = services["db"]["environment"]["APP_DB_USER"]
    assert app_user != services["db"]["environment"]["POSTGRES_USER"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith(f"postgresql+asyncpg://{app_user}:")
