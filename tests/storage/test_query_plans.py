"""Every list query is served by an index: no full scan plus sort, on 10,000 rows, on both dialects.

The test captures the SQL the repository really sends (whatever its internals) and asks the
database for its plan: EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
"""

import itertools
import json
import random
import re
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from taskservice.adapters.sql.database import create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head
from taskservice.adapters.sql.repository import SqlTaskRepository
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


@pytest.fixture
async def engine(empty_database_url: str) -> AsyncGenerator[AsyncEngine]:
    """A database of each dialect holding ROWS tasks."""
    database = create_engine(empty_database_url)
    try:
        await upgrade_to_head(database)
        async with database.begin() as connection:
            await connection.execute(insert(tasks), _rows())
        if database.dialect.name == "postgresql":
            # What autovacuum would soon do by itself; SQLite runs on its defaults, as in service.
            async with database.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE tasks"))
        yield database
    finally:
        await database.dispose()


async def statements_of(engine: AsyncEngine, query: TaskQuery) -> list[Statement]:
    """The SQL (and parameters) the repository sends to list `query`."""
    sent: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        page = await SqlTaskRepository(engine).list(query)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert page.total > len(page.items) > 0
    assert sent, "the repository sent no SELECT through the engine"
    return sent


def _plan(connection: Connection, statement: Statement) -> list[str]:
    sql, parameters = statement
    if connection.dialect.name == "postgresql":
        raw = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", parameters).scalar_one()
        document: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else raw
        return _pg_nodes(document[0]["Plan"])
    return [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]


def _pg_nodes(node: dict[str, Any]) -> list[str]:
    plan = node.get("Plan", node)
    name = " ".join(str(plan[key]) for key in ("Node Type", "Index Name", "Relation Name") if key in plan)
    return [name, *itertools.chain.from_iterable(_pg_nodes(child) for child in plan.get("Plans", []))]


async def plans(engine: AsyncEngine, statements: Sequence[Statement]) -> list[list[str]]:
    async with engine.connect() as connection:
        return [await connection.run_sync(_plan, statement) for statement in statements]


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


async def test_every_list_query_reads_its_page_in_index_order(engine: AsyncEngine) -> None:
    offenders: dict[str, list[list[str]]] = {}
    for query in QUERIES:
        statements = await statements_of(engine, query)
        ordered = [s for s in statements if "ORDER BY" in s[0].upper() and not reads_between_page_values(s)]
        assert ordered, statements
        every_plan = await plans(engine, statements)
        page_plans = await plans(engine, ordered)
        if any(sorts_rows(plan) for plan in page_plans) or any(
            sorts_rows(plan) and scans_the_table(plan) for plan in every_plan
        ):
            offenders[describe(query)] = every_plan

    assert offenders == {}, "\n".join(f"{k}: {v}" for k, v in offenders.items())
