"""Test databases: a fresh SQLite file per test, and isolated PostgreSQL databases on the server
named by TEST_DATABASE_URL (default: the local server CI provides)."""

import asyncio
import os
import uuid
from collections.abc import Generator
from contextlib import contextmanager

import asyncpg  # pyright: ignore[reportMissingTypeStubs]
import pytest
from sqlalchemy.engine import make_url

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_dsn(admin_url()), timeout=5)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    try:
        await connection.execute(sql)  # pyright: ignore[reportUnknownMemberType]
    finally:
        await connection.close()  # pyright: ignore[reportUnknownMemberType]


def require_postgres() -> None:
    """Skip (locally) or fail (CI=true) when the PostgreSQL server does not answer."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:  # pyright: ignore[reportUnknownMemberType]
        message = f"PostgreSQL at {make_url(admin_url()).render_as_string()} is not reachable: {error!r}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@contextmanager
def fresh_postgres_database() -> Generator[str]:
    """A new, empty database for the duration of the block; its asyncpg URL."""
    require_postgres()
    name = f"taskservice_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
