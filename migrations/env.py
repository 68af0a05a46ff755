"""Alembic environment.

In the service, `taskservice.adapters.sql.migrations` hands over an open connection (Alembic's
connection-sharing recipe) so migrations run inside the app's event loop. From the `alembic`
command line, it connects to DATABASE_URL itself.
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from taskservice.adapters.sql.migrations import create_engine
from taskservice.adapters.sql.tables import metadata
from taskservice.settings import load_settings


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    engine = create_engine(load_settings().database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=load_settings().database_url, target_metadata=metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    shared = context.config.attributes.get("connection")
    if shared is None:
        asyncio.run(run_from_command_line())
    else:
        run_migrations(shared)
