"""The service upgrades on start by default; with MIGRATE_ON_START=false it refuses an old schema."""

import pytest
from litestar.testing import AsyncTestClient

from taskservice.adapters.sql.migrations import SchemaNotAtHead, create_engine, upgrade_to_head
from taskservice.bootstrap import create_app
from tests.auth import admin_client
from tests.conftest import make_settings


async def test_service_upgrades_an_empty_database_on_start_by_default(empty_database_url: str) -> None:
    async with admin_client(make_settings(DATABASE_URL=empty_database_url)) as client:
        created = await client.post("/v1/tasks", json={"title": "first", "priority": 1})

    assert created.status_code == 201


async def test_service_without_migrate_on_start_refuses_a_database_not_at_head(empty_database_url: str) -> None:
    app = create_app(make_settings(DATABASE_URL=empty_database_url, MIGRATE_ON_START="false"))

    with pytest.raises(BaseException) as refused:  # noqa: PT011 - the lifespan wraps it in an ExceptionGroup
        async with AsyncTestClient(app=app):
            pass

    assert (
        refused.group_contains(SchemaNotAtHead)
        if isinstance(refused.value, BaseExceptionGroup)
        else (isinstance(refused.value, SchemaNotAtHead))
    )
    assert "taskservice migrate" in str(refused.getrepr())


async def test_service_without_migrate_on_start_serves_a_migrated_database(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    settings = make_settings(DATABASE_URL=empty_database_url, MIGRATE_ON_START="false")

    async with admin_client(settings) as client:
        assert (await client.get("/v1/tasks")).json()["total"] == 0
