"""The benchmark's databases: one per store and data set, migrated with `taskservice migrate`
and seeded through SQL (seed.py), and the row counts the checks compare the service against.

SQLite files live in the run's temporary directory. On PostgreSQL every data set gets a fresh
database `taskservice_bench_<run>_<label>` on the server of `--database-url` (its user must
be allowed to create databases); all are dropped when the run ends, however it ends.
"""

import asyncio
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from seed import grant_key, seed
from servers import service_env
from sqlalchemy.engine import make_url

STORES = ("sqlite", "postgres")
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
# Each write scenario has its own 10k copy, so it runs on the tasks it was seeded with.
LABELS = {**SIZES, "writes": 10_000, "updates": 10_000}


@dataclass
class Dataset:
    store: str  # "sqlite" or "postgres"
    label: str  # a key of LABELS
    url: str  # the service's DATABASE_URL
    size: int
    authorization: str | None = None  # `Bearer <API key>` of an admin seeded beside the tasks

    @property
    def name(self) -> str:
        return f"{self.store} {self.label}"

    def dsn(self) -> str:
        """The plain postgresql:// URL asyncpg (and the driver floor) takes."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def path(self) -> str:
        """The SQLite file of a SQLite data set."""
        return make_url(self.url).database or ""

    def rows_per_status(self) -> dict[str, int]:
        sql = "SELECT status, count(*) FROM tasks GROUP BY status"
        if self.store == "sqlite":
            with sqlite3.connect(self.path()) as db:
                return dict(db.execute(sql).fetchall())
        return asyncio.run(_fetch_pairs(self.dsn(), sql))


async def _fetch_pairs(dsn: str, sql: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        return {r[0]: r[1] for r in await connection.fetch(sql)}
    finally:
        await connection.close()


async def admin(admin_url: str, sql: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _version(admin_url: str) -> str:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


class Databases:
    """Creates, migrates and seeds the data sets; `drop()` removes the PostgreSQL ones."""

    def __init__(self, executable: str, workdir: Path, admin_url: str, run_id: str):
        self.executable = executable
        self.workdir = workdir
        self.admin_url = admin_url
        self.run_id = run_id
        self.created: list[str] = []

    def check_postgres(self) -> None:
        try:
            asyncio.run(admin(self.admin_url, "SELECT 1"))
        except (OSError, asyncpg.PostgresError) as error:
            raise SystemExit(
                f"bench: PostgreSQL at {make_url(self.admin_url).render_as_string()} is not reachable ({error}); "
                "pass --database-url, or --stores sqlite to bench the SQLite file alone"
            ) from error

    def server_version(self) -> str:
        return asyncio.run(_version(self.admin_url))

    def prepare(self, store: str, label: str) -> Dataset:
        if store == "sqlite":
            # The plain schemes, which the service reads as its drivers for either store.
            url = f"sqlite:///{self.workdir / f'{label}.db'}"
        else:
            database = f"taskservice_bench_{self.run_id}_{label}"
            asyncio.run(admin(self.admin_url, f'CREATE DATABASE "{database}"'))
            self.created.append(database)
            url = make_url(self.admin_url).set(drivername="postgresql", database=database)
            url = url.render_as_string(hide_password=False)
        dataset = Dataset(store, label, url, LABELS[label])
        print(f"seeding {dataset.name}: {dataset.size} tasks", flush=True)
        env = service_env(url, 0)
        subprocess.run([self.executable, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        asyncio.run(seed(url, dataset.size))
        dataset.authorization = asyncio.run(grant_key(url))
        return dataset

    def drop(self) -> None:
        for database in self.created:
            try:
                asyncio.run(admin(self.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            except (OSError, asyncpg.PostgresError) as error:
                print(f"bench: could not drop {database}: {error}", flush=True)
        self.created.clear()
