"""Shared fixtures: settings, stores (memory, SQLite file, PostgreSQL) and the real app."""

import os
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from structlog.typing import EventDict

from taskservice.adapters.memory import MemoryStore
from taskservice.adapters.sql.migrations import create_engine, upgrade_to_head
from taskservice.adapters.sql.store import SqlStore
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.ports.unit_of_work import Store
from taskservice.settings import Settings, load_settings
from tests.auth import admin_app, admin_client, bearer
from tests.databases import fresh_postgres_database

# "quick" for the edit-test loop, "ci" (deeper) when CI is set; HYPOTHESIS_PROFILE overrides both.
# Both print the @reproduce_failure blob of a failing example.
hypothesis_settings.register_profile("quick", max_examples=25, deadline=None, print_blob=True)
hypothesis_settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "quick"))

_SEED_OPTION = "--hypothesis-seed"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Pick the run's Hypothesis seed up front (unless given), so any run can be repeated exactly."""
    if config.getoption(_SEED_OPTION, None) is None:
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))


def _below_warning_dropped(_: object, method_name: str, event: EventDict) -> EventDict:
    if method_name in ("debug", "info"):
        raise structlog.DropEvent
    return event


@pytest.fixture(scope="session", autouse=True)
def _no_database_left_in_the_working_directory() -> Iterator[None]:
    """A test serving on the default DATABASE_URL writes taskservice.db into the checkout, where the
    README's `uv run taskservice` then finds a first admin whose key nobody saw."""
    default = Path("taskservice.db")
    existed = default.exists()
    yield
    assert existed or not default.exists(), "a test wrote taskservice.db into the working directory"


@pytest.fixture(autouse=True)
def _unconfigured_logging_writes_warnings_only() -> None:
    """Where a test never configures logging, structlog's default logger prints every line to
    whatever `sys.stdout` is at that moment. An app on a sync TestClient logs its event lines from
    its portal thread after the response, possibly while pytest prints its progress: they landed
    among the dots. Unconfigured, tests keep to the test environment's floor (WARNING) instead;
    `capture_logs` still sees every line (it replaces the processors)."""
    if not structlog.is_configured():
        structlog.configure(processors=[_below_warning_dropped, *structlog.get_config()["processors"]])


def _seed_line(config: pytest.Config) -> str:
    seed = config.getoption(_SEED_OPTION)
    profile = hypothesis_settings.get_current_profile_name()
    return f"hypothesis profile {profile!r}, seed {seed}: repeat this run with {_SEED_OPTION}={seed}"


def pytest_report_header(config: pytest.Config) -> str:
    return _seed_line(config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if exitstatus != 0:
        terminalreporter.write_line(_seed_line(config))


STORES = ("memory", "sqlite", "postgres")


# qa and prod need one; tests in any environment sign tokens with this unless they say otherwise.
TEST_JWT_SECRET = "test-secret-0123456789-0123456789-0123456789"


def make_settings(**environ: str) -> Settings:
    """Settings as the service would read them from `environ` alone (no .env files)."""
    return load_settings({"APP_ENV": "test", "JWT_SECRET": TEST_JWT_SECRET, **environ}, env_dir=Path("/nonexistent"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole session; tests truncate it."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A new PostgreSQL database for this test alone, not migrated; dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """An empty, unmigrated database of each SQL dialect, for this test alone."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    fixture = "empty_postgres_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "postgres":
        request.applymarker(pytest.mark.postgres)
    return kind


@pytest.fixture
def database_url(store_kind: str, request: pytest.FixtureRequest) -> str:
    """DATABASE_URL for the parametrised store; PostgreSQL starts empty for every test."""
    if store_kind == "memory":
        return "memory://"
    if store_kind == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url: str = request.getfixturevalue("postgres_url")
    return url


async def migrate_and_empty(url: str) -> None:
    """Bring a SQL database to the newest schema and remove every task (the counts follow) and
    every user (their keys follow)."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM tasks"))
            await connection.execute(text("DELETE FROM users"))
    finally:
        await engine.dispose()


@pytest.fixture
async def store(store_kind: str, database_url: str) -> AsyncIterator[Store]:
    """A fresh, empty, migrated, open store of each kind."""
    if store_kind == "memory":
        yield MemoryStore()
        return
    if store_kind == "postgres":
        await migrate_and_empty(database_url)
    sql = SqlStore(database_url)
    await sql.open(migrate=True)
    try:
        yield sql
    finally:
        await sql.close()


@pytest.fixture
async def app_and_key(store_kind: str, database_url: str) -> tuple[RequestContextMiddleware, str]:
    """The real app on the parametrised store, and an admin's API key it accepts."""
    if store_kind == "postgres":
        await migrate_and_empty(database_url)
    return admin_app(make_settings(DATABASE_URL=database_url))


@pytest.fixture
def app_for(app_and_key: tuple[RequestContextMiddleware, str]) -> RequestContextMiddleware:
    return app_and_key[0]


@pytest.fixture
async def client(
    app_and_key: tuple[RequestContextMiddleware, str],
) -> AsyncIterator[AsyncTestClient[RequestContextMiddleware]]:
    """A client of the real app on the parametrised store, authenticated as an admin."""
    app, key = app_and_key
    async with AsyncTestClient(app=app) as test_client:
        test_client.headers.update(bearer(key))
        yield test_client


@pytest.fixture
async def memory_client() -> AsyncIterator[AsyncTestClient[RequestContextMiddleware]]:
    """The real app on the in-memory store, as an admin: for HTTP behaviour that does not depend on storage."""
    async with admin_client(make_settings(DATABASE_URL="memory://")) as test_client:
        yield test_client
