"""Every revision upgrades, downgrades and upgrades again, on SQLite and PostgreSQL."""

from alembic import command
from sqlalchemy import inspect

from taskservice.adapters.sql.migrations import create_engine
from tests.migrations.alembic_runner import current_revision, revisions_oldest_first, run_command


async def table_names(engine_url: str) -> set[str]:
    engine = create_engine(engine_url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_every_revision_upgrades_downgrades_and_upgrades_again(empty_database_url: str) -> None:
    revisions = revisions_oldest_first()
    assert revisions, "no migrations found"
    engine = create_engine(empty_database_url)
    try:
        previous = "base"
        for revision in revisions:
            await run_command(engine, command.upgrade, revision)
            assert await current_revision(engine) == revision
            await run_command(engine, command.downgrade, previous)
            assert await current_revision(engine) == (None if previous == "base" else previous)
            await run_command(engine, command.upgrade, revision)
            assert await current_revision(engine) == revision
            previous = revision
        await run_command(engine, command.downgrade, "base")
    finally:
        await engine.dispose()

    # All the way down leaves only Alembic's own bookkeeping.
    assert await table_names(empty_database_url) <= {"alembic_version"}
