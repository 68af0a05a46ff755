"""The SQL task store: SQLAlchemy Core statements, one transaction per method.

Core rather than advanced-alchemy's ORM repository: the ORM's unit of work costs several times
the whole request on the hot paths (see docs/performance.md), and the domain Structs are not
ORM-mapped anyway. advanced-alchemy still supplies the column types and naming convention.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, delete, func, insert, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskservice.adapters.sql.database import is_sqlite_file
from taskservice.adapters.sql.errors import is_unique_violation, unavailable_as_domain_error
from taskservice.adapters.sql.tables import SORT_COLUMNS, TITLE_KEY_INDEX, tasks, tie_break
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import ALL_STATUSES, OrderBy, OrderDir, TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft, TaskStatus

_COLUMNS = (
    tasks.c.id,
    tasks.c.title,
    tasks.c.description,
    tasks.c.status,
    tasks.c.priority,
    tasks.c.created_at,
    tasks.c.updated_at,
    tasks.c.version,
)


def _to_task(row: RowMapping) -> Task:
    return Task(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        status=TaskStatus(row["status"]),
        priority=row["priority"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def _writable(task: Task | TaskDraft) -> Mapping[str, Any]:
    return {
        "title": task.title,
        "title_key": task.title.casefold(),
        "description": task.description,
        "status": task.status.value,
        "priority": task.priority,
    }


class SqlTaskRepository:
    """The `TaskRepository` contract on any SQLAlchemy async engine (SQLite file or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite `:memory:` shares one connection between all requests (StaticPool): an explicit
        # BEGIN there would collide with another request's. Its reads cannot interleave anyway.
        self._sqlite_file = is_sqlite_file(engine.url.render_as_string(hide_password=False))

    async def add(self, draft: TaskDraft, now: datetime) -> Task:
        statement = (
            insert(tasks).values(**_writable(draft), created_at=now, updated_at=now, version=1).returning(*_COLUMNS)
        )
        try:
            with unavailable_as_domain_error():
                async with self._engine.begin() as connection:
                    row = (await connection.execute(statement)).mappings().one()
        except sa_exc.IntegrityError as error:
            if is_unique_violation(error, TITLE_KEY_INDEX, "tasks.title_key"):
                raise DuplicateTitle(draft.title) from None
            raise
        return _to_task(row)

    async def get(self, task_id: int) -> Task | None:
        statement = select(*_COLUMNS).where(tasks.c.id == task_id)
        with unavailable_as_domain_error():
            async with self._engine.connect() as connection:
                row = (await connection.execute(statement)).mappings().one_or_none()
        return None if row is None else _to_task(row)

    async def save(self, task: Task, expected_version: int) -> Task | None:
        statement = (
            update(tasks)
            .where(tasks.c.id == task.id, tasks.c.version == expected_version)
            .values(**_writable(task), updated_at=task.updated_at, version=task.version)
            .returning(*_COLUMNS)
        )
        try:
            with unavailable_as_domain_error():
                async with self._engine.begin() as connection:
                    row = (await connection.execute(statement)).mappings().one_or_none()
        except sa_exc.IntegrityError as error:
            if is_unique_violation(error, TITLE_KEY_INDEX, "tasks.title_key"):
                raise DuplicateTitle(task.title) from None
            raise
        return None if row is None else _to_task(row)

    async def remove(self, task_id: int) -> Task | None:
        statement = delete(tasks).where(tasks.c.id == task_id).returning(*_COLUMNS)
        with unavailable_as_domain_error():
            async with self._engine.begin() as connection:
                row = (await connection.execute(statement)).mappings().one_or_none()
        return None if row is None else _to_task(row)

    async def list(self, query: TaskQuery) -> TaskPage:
        condition = _status_condition(query)
        count = select(func.count()).select_from(tasks)
        page = select(*_COLUMNS).order_by(*_ordering(query.order_by, query.order_dir))
        if condition is not None:
            count = count.where(condition)
            page = page.where(_page_status_condition(query))
        page = page.limit(query.limit).offset(query.offset)
        with unavailable_as_domain_error():
            async with self._engine.connect() as connection:
                await self._begin_snapshot(connection)
                total = (await connection.execute(count)).scalar_one()
                rows = (await connection.execute(page)).mappings().all()
                await connection.rollback()  # read only
        return TaskPage(items=[_to_task(r) for r in rows], total=total, limit=query.limit, offset=query.offset)

    async def _begin_snapshot(self, connection: AsyncConnection) -> None:
        """Make the count and the page read one snapshot, so `total` agrees with `items`.

        PostgreSQL's default READ COMMITTED gives each statement its own snapshot: REPEATABLE
        READ gives the transaction one. Python's sqlite3 driver begins no transaction before a
        SELECT, so each read would see its own: an explicit BEGIN makes them share the first
        read's (in WAL mode a reader never blocks the writer).
        """
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="REPEATABLE READ")
        elif self._sqlite_file:
            await connection.exec_driver_sql("BEGIN")

    async def ping(self) -> None:
        with unavailable_as_domain_error():
            async with self._engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")


def _status_condition(query: TaskQuery) -> ColumnElement[bool] | None:
    if not query.filters_status:
        return None
    statuses = sorted(s.value for s in query.statuses)
    if len(statuses) == 1:
        return tasks.c.status == statuses[0]
    return tasks.c.status.in_(statuses)


def _page_status_condition(query: TaskQuery) -> ColumnElement[bool]:
    """The status filter for the page query, phrased so that the page is read in index order.

    One status: `status = ?` seeks the (status, sort column, tie-break) index. Several: as
    `status NOT IN (the others)`, which no index can seek, so the planner walks the sort
    column's own index and filters; SQLite would otherwise seek by `status IN (...)` and then
    sort every matching row in a temporary B-tree (tests/storage/test_query_plans.py).
    """
    if len(query.statuses) == 1:
        (status,) = query.statuses
        return tasks.c.status == status.value
    return tasks.c.status.not_in(sorted(s.value for s in ALL_STATUSES - query.statuses))


def _ordering(order_by: OrderBy, order_dir: OrderDir) -> list[ColumnElement[Any]]:
    column = SORT_COLUMNS[order_by]
    primary = column.desc() if order_dir is OrderDir.DESC else column.asc()
    return [primary, *(c.asc() for c in tie_break(order_by))]
