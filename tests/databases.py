"""Test databases: a fresh SQLite file per test, and isolated PostgreSQL databases on the server
named by TEST_DATABASE_URL (default: the local server CI provides)."""

import asyncio
import functools
import os
import uuid
from collections.abc import Generator
from contextlib import contextmanager

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


async def _admin(sql: str, url: str | None = None) -> None:
    """One statement on the admin database, outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = create_async_engine(
        url or admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@functools.cache
def _postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server at `url` cannot be used, or None; asked once per test run."""
    try:
        asyncio.run(_admin("SELECT 1", url))
    except (OSError, TimeoutError, sa_exc.DBAPIError) as error:
        return f"PostgreSQL at {make_url(url).render_as_string()} is not reachable: {error!r}"
    return None


def require_postgres() -> None:
    """Skip (locally) or fail (CI=true) when the PostgreSQL server does not answer."""
    problem = _postgres_problem(admin_url())
    if problem is None:
        return
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{problem} (CI requires PostgreSQL; set TEST_DATABASE_URL)", pytrace=False)
    pytest.skip(f"{problem} (set TEST_DATABASE_URL to run these tests)")


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
