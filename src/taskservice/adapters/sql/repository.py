"""The SQL task store: SQLAlchemy Core statements, one transaction per method.

Core rather than advanced-alchemy's ORM repository: the ORM's unit of work costs several times
the whole request on the hot paths (docs/performance.md), and the domain Structs are not
ORM-mapped anyway. advanced-alchemy still supplies the column types and naming convention.

Each method is one plain function over a `StatementRunner`, written once for every dialect.
It runs either on a SQLite file through the sqlite3 driver (`sqlite_file.py`: reads on the
loop, writes committed in groups) or inside `AsyncConnection.run_sync` on the async
engine (PostgreSQL, SQLite `:memory:`), where SQLAlchemy's compiled cache applies.

List totals come from `task_counts`, one row per status, which triggers (migration 0002) change
in the same transaction as every insert, status change and delete: a `count(*)` grows with the
matching rows (and `count(*) over ()` makes SQLite sort them all), a read of three rows does not.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import ColumnElement, Select, bindparam, delete, event, func, insert, literal, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.expression import Executable

from taskservice.adapters.sql.database import (
    configure_sqlite_connection,
    is_sqlite_file,
)
from taskservice.adapters.sql.descending import DescendingStatements, descending_statements, read_descending
from taskservice.adapters.sql.errors import STORAGE_ERRORS, as_unavailable, is_unique_violation
from taskservice.adapters.sql.runner import Row, StatementRunner
from taskservice.adapters.sql.sqlite_file import SqliteFile
from taskservice.adapters.sql.tables import SORT_COLUMNS, TITLE_KEY_INDEX, task_counts, tasks, tie_break
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import ALL_STATUSES, OrderBy, OrderDir, TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft, TaskStatus, new_task

T = TypeVar("T")
# How long a write may queue for the SQLite writer when the engine's pool sets no timeout.
_DEFAULT_QUEUE_TIMEOUT = 5.0
_ListKey = tuple[frozenset[TaskStatus] | None, OrderBy, OrderDir]


class _ListStatements(NamedTuple):
    total: ClauseElement
    # One statement reads the page, except for descending orders with a tie-break.
    page: ClauseElement | DescendingStatements


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

# Every statement is built once; named parameters are filled per call.
# (Bind names differ from column names: SQLAlchemy reserves those in INSERT and UPDATE.)
_WRITABLE: dict[str, BindParameter[Any]] = {
    name: bindparam(f"w_{name}") for name in ("title", "title_key", "description", "status", "priority")
}
# Writes return only what the store decides (the id; whether the version matched): the rest of
# the stored row is what was written, and parsing it back cost a write ~2 µs (two timestamps).
_INSERT = (
    insert(tasks)
    .values(**_WRITABLE, created_at=bindparam("now"), updated_at=bindparam("now"), version=literal(1))
    .returning(tasks.c.id)
)
_GET = select(*_COLUMNS).where(tasks.c.id == bindparam("task_id"))
_AT_VERSION = (tasks.c.id == bindparam("task_id"), tasks.c.version == bindparam("expected"))
# The columns each caller-owned field is stored in.
_FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "title_key"),
    "description": ("description",),
    "status": ("status",),
    "priority": ("priority",),
}
_ALL_FIELDS = frozenset(_FIELD_COLUMNS)
_UPDATES: dict[frozenset[str], ClauseElement] = {}


def _update_statement(fields: frozenset[str]) -> ClauseElement:
    """An UPDATE that sets only these fields' columns (plus updated_at and version), built once.

    SQLite rewrites every index holding a column named in SET, changed or not: a PATCH of the
    priority that also set title, status, ... rewrote all 14 indexes instead of 8, and fired the
    status trigger (docs/performance.md).
    """
    statement = _UPDATES.get(fields)
    if statement is None:
        columns = [column for field in sorted(fields) for column in _FIELD_COLUMNS[field]]
        statement = _UPDATES[fields] = (
            update(tasks)
            .where(*_AT_VERSION)
            .values(
                **{column: _WRITABLE[column] for column in columns},
                updated_at=bindparam("w_updated_at"),
                version=bindparam("w_version"),
            )
            .returning(tasks.c.id)
        )
    return statement


_DELETE = delete(tasks).where(tasks.c.id == bindparam("task_id")).returning(*_COLUMNS)
_PING = select(literal(1))


_STATUSES = {s.value: s for s in TaskStatus}  # a dict lookup is several times cheaper than TaskStatus(value)


def _to_task(row: Row) -> Task:
    return Task(
        id=row[0],
        title=row[1],
        description=row[2],
        status=_STATUSES[row[3]],
        priority=row[4],
        created_at=row[5],
        updated_at=row[6],
        version=row[7],
    )


def _writable(task: Task | TaskDraft) -> dict[str, Any]:
    return {
        "w_title": task.title,
        "w_title_key": task.title.casefold(),
        "w_description": task.description,
        "w_status": task.status.value,
        "w_priority": task.priority,
    }


class SqlTaskRepository:
    """The `TaskRepository` contract on any SQLAlchemy async engine (SQLite file or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # Listeners added later still land here: `listen` fills this object's lists.
        self._dispatch = engine.sync_engine.dispatch
        self._lists: dict[_ListKey, _ListStatements] = {}
        url = engine.url
        plain_file = is_sqlite_file(url.render_as_string(hide_password=False)) and not url.query
        self._sqlite_path = url.database if plain_file else None
        self._file: SqliteFile | None = None
        if self._sqlite_path is not None:
            # The service disposes the engine at shutdown (and tests after each case): close ours too.
            event.listen(engine.sync_engine, "engine_disposed", self._on_dispose)

    async def _sqlite(self) -> SqliteFile | None:
        """The sqlite3 path for a SQLite file (None on other stores), opened on first use."""
        if self._sqlite_path is None or self._file is not None:
            return self._file
        # Its connections wait for locks as long as the engine's do (set by its connect hook).
        async with self._engine.connect() as connection:
            busy_ms = int((await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar_one())
        if self._file is None:
            pool = self._engine.sync_engine.pool
            self._file = SqliteFile(
                self._sqlite_path,
                lambda raw: configure_sqlite_connection(raw, busy_ms),
                busy_timeout=busy_ms / 1000,
                queue_timeout=pool.timeout() if isinstance(pool, QueuePool) else _DEFAULT_QUEUE_TIMEOUT,
                on_statement=self._statement_event,
            )
        return self._file

    def _statement_event(self, phase: str, sql: str, params: Mapping[str, Any]) -> None:
        # Engine-level listeners (tracing, tests that read the SQL sent) still see every statement
        # the sqlite3 path runs; there is no SQLAlchemy connection or cursor to hand them.
        dispatch = self._dispatch
        listeners = dispatch.before_cursor_execute if phase == "before" else dispatch.after_cursor_execute
        if listeners:
            listeners(None, None, sql, params, None, False)  # pyright: ignore[reportArgumentType]

    def _on_dispose(self, _engine: Engine) -> None:
        if self._file is not None:
            self._file.close()

    async def _read(self, work: Callable[[StatementRunner], T], *, snapshot: bool = False) -> T:
        """Run `work`'s reads; `snapshot`: all of them see one state of the store."""
        try:
            if (file := self._file or await self._sqlite()) is not None:
                return file.read(work, snapshot=snapshot)
            async with self._engine.connect() as connection:
                if snapshot and connection.dialect.name == "postgresql":
                    # READ COMMITTED gives each statement its own snapshot; this gives the transaction one.
                    await connection.execution_options(isolation_level="REPEATABLE READ")
                async with connection.begin():
                    return await connection.run_sync(lambda sync: work(_EngineRunner(sync)))
        except STORAGE_ERRORS as error:
            if (unavailable := as_unavailable(error)) is None:
                raise
            raise unavailable from error

    async def _write(self, work: Callable[[StatementRunner], T], *, one_statement: bool = False) -> T:
        """Run `work`'s writes in one transaction; `one_statement`: see `GroupCommitWriter.submit`."""
        try:
            if (file := self._file or await self._sqlite()) is not None:
                return await file.write(work, one_statement=one_statement)
            async with self._engine.begin() as connection:
                return await connection.run_sync(lambda sync: work(_EngineRunner(sync)))
        except STORAGE_ERRORS as error:
            if (unavailable := as_unavailable(error)) is None:
                raise
            raise unavailable from error

    async def add(self, draft: TaskDraft, now: datetime) -> Task:
        params = {**_writable(draft), "now": now}
        try:
            # The INSERT returns its one row or raises: nothing after it can fail.
            row = await self._write(lambda run: run.rows(_INSERT, params)[0], one_statement=True)
        except sa_exc.IntegrityError as error:
            if is_unique_violation(error, TITLE_KEY_INDEX, "tasks.title_key"):
                raise DuplicateTitle(draft.title) from None
            raise
        return new_task(draft, row[0], now)

    async def get(self, task_id: int) -> Task | None:
        rows = await self._read(lambda run: run.rows(_GET, {"task_id": task_id}))
        return _to_task(rows[0]) if rows else None

    async def save(self, task: Task, expected_version: int, changed: Collection[str] | None = None) -> Task | None:
        fields = _ALL_FIELDS if changed is None or not _ALL_FIELDS.issuperset(changed) else frozenset(changed)
        statement = _update_statement(fields)
        writable = _writable(task)
        params = {
            **{f"w_{column}": writable[f"w_{column}"] for field in fields for column in _FIELD_COLUMNS[field]},
            "task_id": task.id,
            "expected": expected_version,
            "w_updated_at": task.updated_at,
            "w_version": task.version,
        }

        try:
            rows = await self._write(lambda run: run.rows(statement, params), one_statement=True)
        except sa_exc.IntegrityError as error:
            if is_unique_violation(error, TITLE_KEY_INDEX, "tasks.title_key"):
                raise DuplicateTitle(task.title) from None
            raise
        return task if rows else None

    async def remove(self, task_id: int) -> Task | None:
        rows = await self._write(lambda run: run.rows(_DELETE, {"task_id": task_id}))
        return _to_task(rows[0]) if rows else None

    async def list(self, query: TaskQuery) -> TaskPage:
        statuses = sorted(s.value for s in query.statuses) if query.filters_status else []
        others = sorted(s.value for s in ALL_STATUSES - query.statuses) if len(statuses) > 1 else []
        statements = self._list_statements(query)
        params: dict[str, Any] = {f"s{i}": s for i, s in enumerate(statuses)}
        params.update({f"not{i}": s for i, s in enumerate(others)})
        page = statements.page

        def work(run: StatementRunner) -> tuple[int, Sequence[Row]]:
            # One transaction: on SQLite (WAL) the total and the page see one snapshot.
            total = run.rows(statements.total, params)[0][0]
            if isinstance(page, DescendingStatements):
                return int(total), read_descending(run, page, params, limit=query.limit, offset=query.offset)
            return int(total), run.rows(page, {**params, "limit": query.limit, "offset": query.offset})

        total, rows = await self._read(work, snapshot=True)
        return TaskPage(items=[_to_task(r) for r in rows], total=total, limit=query.limit, offset=query.offset)

    def _list_statements(self, query: TaskQuery) -> _ListStatements:
        """The total and page statements for this filter and order (at most 7 × 4 × 2), built once."""
        key = (query.statuses if query.filters_status else None, query.order_by, query.order_dir)
        cached = self._lists.get(key)
        if cached is None:
            count = len(query.statuses) if query.filters_status else 0
            total: Select[Any] = select(func.coalesce(func.sum(task_counts.c.count), 0))
            where: list[ColumnElement[bool]] = []
            if count:
                total = total.where(_status_condition(task_counts.c.status, count))
                where.append(_page_status_condition(count))
            sort, ties = SORT_COLUMNS[query.order_by], tie_break(query.order_by)
            page: ClauseElement | DescendingStatements
            if query.order_dir is OrderDir.DESC and ties:
                page = descending_statements(_COLUMNS, sort, ties, where)
            else:
                primary = sort.desc() if query.order_dir is OrderDir.DESC else sort.asc()
                page = (
                    select(*_COLUMNS)
                    .where(*where)
                    .order_by(primary, *(c.asc() for c in ties))
                    .limit(bindparam("limit"))
                    .offset(bindparam("offset"))
                )
            cached = self._lists[key] = _ListStatements(total, page)
        return cached

    async def ping(self) -> None:
        await self._read(lambda run: run.rows(_PING))


class _EngineRunner:
    """`StatementRunner` over a SQLAlchemy connection (inside `run_sync`): the compiled cache applies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        result = self._connection.execute(cast(Executable, statement), dict(params or {}))
        return result.all() if result.returns_rows else ()


def _status_condition(column: ColumnElement[str], count: int) -> ColumnElement[bool]:
    if count == 1:
        return column == bindparam("s0")
    return column.in_([bindparam(f"s{i}") for i in range(count)])


def _page_status_condition(count: int) -> ColumnElement[bool]:
    """The status filter for the page query, phrased so that the page is read in index order.

    One status: `status = ?` seeks the (status, sort column, tie-break) index. Several: as
    `status NOT IN (the others)` (parameters `not0`, ...), which no index can seek, so the
    planner walks the sort column's own index and filters; SQLite would otherwise seek by
    `status IN (...)` and then sort every matching row in a temporary B-tree
    (tests/storage/test_query_plans.py).
    """
    if count == 1:
        return tasks.c.status == bindparam("s0")
    return tasks.c.status.not_in([bindparam(f"not{i}") for i in range(len(ALL_STATUSES) - count)])
