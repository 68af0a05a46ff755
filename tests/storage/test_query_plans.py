"""Every list query is served by an index: no full scan plus sort, on 10,000 rows, on both dialects.

The test records every statement the repository runs on its session (whatever its internals),
compiles it as the database does, and asks the database for its plan: EXPLAIN on PostgreSQL,
EXPLAIN QUERY PLAN on SQLite.
"""

import itertools
import json
import random
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row
from taskservice.adapters.sql.migrations import create_engine, upgrade_to_head
from taskservice.adapters.sql.postgres import PostgresDatabase
from taskservice.adapters.sql.repository import SqlTaskRepository
from taskservice.adapters.sql.session import SqlSession
from taskservice.adapters.sql.sqlite import SqliteDatabase
from taskservice.adapters.sql.store import sqlite_path
from taskservice.adapters.sql.tables import tasks
from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery
from taskservice.domain.task import TaskStatus

ROWS = 10_000
STATUS_FILTERS = [
    frozenset(TaskStatus),
    *(frozenset({status}) for status in TaskStatus),
    frozenset({TaskStatus.NEW, TaskStatus.IN_PROGRESS}),
]
QUERIES = [
    TaskQuery(statuses=statuses, order_by=order_by, order_dir=order_dir)
    for statuses, order_by, order_dir in itertools.product(STATUS_FILTERS, OrderBy, OrderDir)
]

Statement = tuple[str, Any]


def _rows() -> list[dict[str, Any]]:
    generator = random.Random(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for i in range(ROWS):
        created = start + timedelta(seconds=i)
        rows.append(
            {
                "title": f"Task {i}",
                "title_key": f"task {i}",
                "description": None,
                "status": generator.choice(list(TaskStatus)).value,
                "priority": generator.randint(1, 5),
                "created_at": created,
                "updated_at": created + timedelta(seconds=generator.randint(0, 10**6)),
                "version": 1,
            }
        )
    return rows


Database = SqliteDatabase | PostgresDatabase


@pytest.fixture
async def database(empty_database_url: str) -> AsyncGenerator[Database]:
    """A database of each dialect holding ROWS tasks, open as the store opens it."""
    engine = create_engine(empty_database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.execute(insert(tasks), _rows())
        if engine.dialect.name == "postgresql":
            # What autovacuum would soon do by itself; SQLite runs on its defaults, as in service.
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE tasks"))
    finally:
        await engine.dispose()
    path = sqlite_path(empty_database_url)
    if path is not None:
        sqlite = SqliteDatabase(path, busy_timeout=5)
        await sqlite.open()
        yield sqlite
        await sqlite.close()
        return
    postgres = PostgresDatabase(empty_database_url, pool_size=1, pool_timeout=5, statement_timeout=30)
    await postgres.open()
    yield postgres
    await postgres.close()


class Recording:
    """A `SqlSession` that passes everything on and keeps each statement it ran, with its parameters."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session
        self.sent: list[tuple[ClauseElement, dict[str, Any]]] = []

    async def begin(self, *, write: bool) -> None:
        await self._session.begin(write=write)

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        self.sent.append((statement, dict(params or {})))
        return await self._session.rows(statement, params)

    async def commit(self) -> None:
        await self._session.commit()

    async def close(self) -> None:
        await self._session.close()


async def statements_of(database: Database, query: TaskQuery) -> list[Statement]:
    """The SQL (and the driver's parameters) the repository sends to list `query`."""
    recording = Recording(database.session())
    try:
        page = await SqlTaskRepository(recording).list(query)
    finally:
        await recording.close()
    assert page.total > len(page.items) > 0
    compiled = [database.statements[statement] for statement, _ in recording.sent]
    return [(c.sql, c.parameters(params)) for c, (_, params) in zip(compiled, recording.sent, strict=True)]


async def _plan(database: Database, statement: Statement) -> list[str]:
    sql, parameters = statement
    if isinstance(database, SqliteDatabase):
        return [row[3] for row in database.connection(write=False).execute(f"EXPLAIN QUERY PLAN {sql}", parameters)]
    connection = await database.acquire()
    try:
        raw = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *parameters)
    finally:
        await database.release(connection)
    document: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else raw
    return _pg_nodes(document[0]["Plan"])


def _pg_nodes(node: dict[str, Any]) -> list[str]:
    plan = node.get("Plan", node)
    name = " ".join(str(plan[key]) for key in ("Node Type", "Index Name", "Relation Name") if key in plan)
    return [name, *itertools.chain.from_iterable(_pg_nodes(child) for child in plan.get("Plans", []))]


async def plans(database: Database, statements: Sequence[Statement]) -> list[list[str]]:
    return [await _plan(database, statement) for statement in statements]


def sorts_rows(plan: Sequence[str]) -> bool:
    """True when the plan sorts rows itself instead of reading them in index order."""
    return any(step.startswith("Sort") or "TEMP B-TREE FOR ORDER BY" in step for step in plan)


def scans_the_table(plan: Sequence[str]) -> bool:
    return any(step.startswith("Seq Scan") or step == "SCAN tasks" for step in plan)


def describe(query: TaskQuery) -> str:
    return f"status={'+'.join(sorted(query.statuses))} order_by={query.order_by} order_dir={query.order_dir}"


def reads_between_page_values(statement: Statement) -> bool:
    """A read of the sort values between two rows of the page already found (descending.py):
    it holds at most a page of rows, so sorting them is no cost that grows with the table."""
    return re.search(r"(tasks\.\w+) >= .+ AND \1 <= ", statement[0]) is not None


async def test_every_list_query_reads_its_page_in_index_order(database: Database) -> None:
    offenders: dict[str, list[list[str]]] = {}
    for query in QUERIES:
        statements = await statements_of(database, query)
        ordered = [s for s in statements if "ORDER BY" in s[0].upper() and not reads_between_page_values(s)]
        assert ordered, statements
        every_plan = await plans(database, statements)
        page_plans = await plans(database, ordered)
        if any(sorts_rows(plan) for plan in page_plans) or any(
            sorts_rows(plan) and scans_the_table(plan) for plan in every_plan
        ):
            offenders[describe(query)] = every_plan

    assert offenders == {}, "\n".join(f"{k}: {v}" for k, v in offenders.items())
