"""The SQL task repository: SQLAlchemy Core statements, built once, over a unit of work's session.

Core rather than advanced-alchemy's ORM repository: the ORM's own unit of work cost several times
a whole request (docs/performance.md), and the domain Structs are not ORM-mapped anyway. List
totals are a sum over `task_counts` (tables.py), which does not grow with the matching rows.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Select, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.sql.elements import BindParameter

from taskservice.adapters.sql.compiled import Row
from taskservice.adapters.sql.descending import DescendingStatements, descending_statements, read_descending
from taskservice.adapters.sql.errors import UniqueViolation
from taskservice.adapters.sql.session import SqlSession
from taskservice.adapters.sql.tables import SORT_COLUMNS, TITLE_KEY_INDEX, task_counts, tasks, tie_break
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import ALL_STATUSES, OrderBy, OrderDir, TaskPage, TaskQuery
from taskservice.domain.task import MUTABLE_FIELDS, Task, TaskDraft, TaskStatus, new_task

_COLUMNS = tuple(column for column in tasks.c if column.name != "title_key")  # a Task's fields, in order
# Bind names differ from column names: SQLAlchemy reserves those in INSERT and UPDATE.
_WRITABLE: dict[str, BindParameter[Any]] = {
    name: bindparam(f"w_{name}") for name in ("title", "title_key", "description", "status", "priority")
}
# The store decides only the id: the rest of the new row is what was written.
_INSERT = (
    insert(tasks)
    .values(
        **_WRITABLE,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
        version=literal(1),
        created_by=bindparam("actor_id"),
        updated_by=bindparam("actor_id"),
    )
    .returning(tasks.c.id)
)
_GET = select(*_COLUMNS).where(tasks.c.id == bindparam("task_id"))
# SQLite has no FOR UPDATE (its write transaction already excludes every other writer).
_GET_FOR_UPDATE = _GET.with_for_update()
_DELETE = delete(tasks).where(tasks.c.id == bindparam("task_id")).returning(*_COLUMNS)
PING = select(literal(1))

# The columns each caller-owned field is stored in.
_FIELD_COLUMNS = {"title": ("title", "title_key"), **{field: (field,) for field in MUTABLE_FIELDS if field != "title"}}
_UPDATES: dict[frozenset[str], ClauseElement] = {}
_STATUSES = {s.value: s for s in TaskStatus}  # a dict lookup is several times cheaper than TaskStatus(value)


def _update_statement(fields: frozenset[str]) -> ClauseElement:
    """An UPDATE of only these fields' columns (and updated_at, version), built once per set.

    SQLite rewrites every index that holds a column named in SET, changed or not: a PATCH of the
    priority that also set the title and status rewrote 14 indexes instead of 8 (docs/storage.md).
    """
    statement = _UPDATES.get(fields)
    if statement is None:
        columns = [column for field in sorted(fields) for column in _FIELD_COLUMNS[field]]
        statement = _UPDATES[fields] = (
            update(tasks)
            .where(tasks.c.id == bindparam("task_id"))
            .values(
                **{column: _WRITABLE[column] for column in columns},
                updated_at=bindparam("w_updated_at"),
                version=bindparam("w_version"),
                updated_by=bindparam("w_updated_by"),
            )
        )
    return statement


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
        created_by=row[8],
        updated_by=row[9],
    )


def _writable(task: Task | TaskDraft) -> dict[str, Any]:
    return {
        "w_title": task.title,
        "w_title_key": task.title.casefold(),
        "w_description": task.description,
        "w_status": task.status.value,
        "w_priority": task.priority,
    }


# (total, page) per filter and order; a page is one statement, but for descending orders with a tie-break.
_ListStatements = tuple[ClauseElement, ClauseElement | DescendingStatements]
_LISTS: dict[tuple[frozenset[TaskStatus] | None, OrderBy, OrderDir], _ListStatements] = {}


class SqlTaskRepository:
    """The `TaskRepository` port inside one unit of work, on either SQL store."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        await self._session.begin(write=True)
        try:
            rows = await self._session.rows(_INSERT, {**_writable(draft), "now": now, "actor_id": actor_id})
        except UniqueViolation as error:
            raise _duplicate(error, draft.title) from None
        return new_task(draft, rows[0][0], now, actor_id)

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        if for_update:
            await self._session.begin(write=True)
        rows = await self._session.rows(_GET_FOR_UPDATE if for_update else _GET, {"task_id": task_id})
        return _to_task(rows[0]) if rows else None

    async def update(self, task: Task, changed: Collection[str]) -> None:
        fields = frozenset(changed) if changed else frozenset(MUTABLE_FIELDS)
        writable = _writable(task)
        params = {f"w_{column}": writable[f"w_{column}"] for field in fields for column in _FIELD_COLUMNS[field]}
        params.update(
            task_id=task.id, w_updated_at=task.updated_at, w_version=task.version, w_updated_by=task.updated_by
        )
        await self._session.begin(write=True)
        try:
            await self._session.rows(_update_statement(fields), params)
        except UniqueViolation as error:
            raise _duplicate(error, task.title) from None

    async def remove(self, task_id: int) -> Task | None:
        await self._session.begin(write=True)
        rows = await self._session.rows(_DELETE, {"task_id": task_id})
        return _to_task(rows[0]) if rows else None

    async def list(self, query: TaskQuery) -> TaskPage:
        statuses = sorted(s.value for s in query.statuses) if query.filters_status else []
        others = sorted(s.value for s in ALL_STATUSES - query.statuses) if len(statuses) > 1 else []
        params: dict[str, Any] = {f"s{i}": s for i, s in enumerate(statuses)}
        params.update({f"not{i}": s for i, s in enumerate(others)})
        total_statement, page = _list_statements(query)
        await self._session.begin(write=False)  # the total and the page see one snapshot
        total = int((await self._session.rows(total_statement, params))[0][0])
        rows: Sequence[Row]
        if isinstance(page, DescendingStatements):
            rows = await read_descending(self._session, page, params, limit=query.limit, offset=query.offset)
        else:
            rows = await self._session.rows(page, {**params, "limit": query.limit, "offset": query.offset})
        return TaskPage(items=[_to_task(r) for r in rows], total=total, limit=query.limit, offset=query.offset)


def _duplicate(error: UniqueViolation, title: str) -> Exception:
    return DuplicateTitle(title) if error.index == TITLE_KEY_INDEX else error


def _list_statements(query: TaskQuery) -> _ListStatements:
    """The total and page statements for this filter and order (at most 7 × 4 × 2), built once."""
    key = (query.statuses if query.filters_status else None, query.order_by, query.order_dir)
    cached = _LISTS.get(key)
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
        cached = _LISTS[key] = (total, page)
    return cached


def _status_condition(column: ColumnElement[str], count: int) -> ColumnElement[bool]:
    if count == 1:
        return column == bindparam("s0")
    return column.in_([bindparam(f"s{i}") for i in range(count)])


def _page_status_condition(count: int) -> ColumnElement[bool]:
    """One status: `status = ?` seeks the (status, sort, tie-break) index. Several: `status NOT IN
    (the others)`, which no index can seek, so the page walks the sort column's own index; with
    `status IN (...)` SQLite sought the status index and sorted every match (test_query_plans.py)."""
    if count == 1:
        return tasks.c.status == bindparam("s0")
    return tasks.c.status.not_in([bindparam(f"not{i}") for i in range(len(ALL_STATUSES) - count)])
