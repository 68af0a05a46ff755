"""Run Alembic commands on an async engine the way the service does: on one shared connection."""

from collections.abc import Callable
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from taskservice.adapters.sql.migrations import alembic_config


async def run_command(engine: AsyncEngine, command: Callable[..., Any], *args: str) -> None:
    """`command(config, *args)` (e.g. `alembic.command.downgrade`) in one committed transaction."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        with connection.begin():
            command(config, *args)

    async with engine.connect() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def revisions_oldest_first(config: Config | None = None) -> list[str]:
    script = ScriptDirectory.from_config(config or alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]
