"""The models (tables.py) and the migrations describe the same schema, on SQLite and PostgreSQL."""

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String
from sqlalchemy.engine import Connection

from taskservice.adapters.sql.migrations import create_engine, upgrade_to_head
from taskservice.adapters.sql.tables import metadata


async def differences(database_url: str, target: MetaData) -> list[Any]:
    """What autogenerate would write to turn the migrated database into `target`."""

    def compare(connection: Connection) -> list[Any]:
        # The same comparison options as migrations/env.py uses for `alembic revision --autogenerate`.
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target))

    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def test_migrations_at_head_match_the_models(empty_database_url: str) -> None:
    assert await differences(empty_database_url, metadata) == []


def _copy_of_models() -> tuple[MetaData, Any]:
    """Every table of the models (so only the change under test differs), and the copy's tasks table."""
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    return changed, changed.tables["tasks"]


def _models_with_an_extra_column() -> MetaData:
    changed, table = _copy_of_models()
    table.append_column(Column("assignee", String(100), nullable=True))
    return changed


def _models_without_an_index() -> MetaData:
    changed, table = _copy_of_models()
    table.indexes = {index for index in table.indexes if index.name != "ix_tasks_status_priority_asc"}
    return changed


def _models_with_another_index() -> MetaData:
    changed, table = _copy_of_models()
    Index("ix_tasks_description", table.c.description)
    return changed


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (_models_with_an_extra_column, "add_column"),
        (_models_without_an_index, "remove_index"),
        (_models_with_another_index, "add_index"),
    ],
)
async def test_drift_check_reports_models_that_disagree_with_the_migrations(
    empty_database_url: str, models: Any, expected: str
) -> None:
    found = await differences(empty_database_url, models())

    assert [diff[0] for diff in found] == [expected]


def _models_with_an_index_turned_around() -> MetaData:
    changed, table = _copy_of_models()
    table.indexes = {index for index in table.indexes if index.name != "ix_tasks_priority_asc"}
    Index("ix_tasks_priority_asc", table.c.priority.desc(), table.c.created_at, table.c.id)
    return changed


@pytest.mark.postgres
async def test_drift_check_on_postgresql_reports_an_index_whose_direction_changed(empty_postgres_url: str) -> None:
    """SQLite's reflection does not report index directions; PostgreSQL's does, and CI runs both."""
    found = await differences(empty_postgres_url, _models_with_an_index_turned_around())

    assert [(diff[0], diff[1].name) for diff in found] == [
        ("remove_index", "ix_tasks_priority_asc"),
        ("add_index", "ix_tasks_priority_asc"),
    ]
