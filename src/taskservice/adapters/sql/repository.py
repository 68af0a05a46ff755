"""The SQL task repository: Core statements, built once, run on a unit of work's session.

Core, not advanced-alchemy's ORM repository: the ORM's own unit of work cost several times a whole
request (docs/performance.md). A list's total is a sum over `task_counts` (tables.py).
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Select, bindparam, delete, func, insert, literal, select, update

from taskservice.adapters.sql.compiled import Row, values
from taskservice.adapters.sql.descending import DescendingPage
from taskservice.adapters.sql.session import SqlRepository
from taskservice.adapters.sql.tables import ORDERS, TASK_COLUMNS, TITLE_KEY_INDEX, task_counts, tasks
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import ALL_STATUSES, OrderBy, OrderDir, TaskPage, TaskQuery
from taskservice.domain.task import MUTABLE_FIELDS, Task, TaskDraft, TaskStatus, new_task

_WRITABLE = values("title", "title_key", "description", "status", "priority")
_NOW, _ACTOR = bindparam("now", type_=tasks.c.created_at.type), bindparam("actor_id", type_=tasks.c.created_by.type)
_INSERT = (  # the store decides only the id: the rest of the new row is what was written
    insert(tasks)
    .values(**_WRITABLE, created_at=_NOW, updated_at=_NOW, version=literal(1), created_by=_ACTOR, updated_by=_ACTOR)
    .returning(tasks.c.id)
)
_GET = select(*TASK_COLUMNS).where(tasks.c.id == bindparam("task_id"))
_GET_FOR_UPDATE = _GET.with_for_update()  # SQLite has none: its write transaction excludes every other writer
_DELETE = delete(tasks).where(tasks.c.id == bindparam("task_id")).returning(*TASK_COLUMNS)
PING = select(literal(1))
_FIELD_COLUMNS = {field: (field, "title_key") if field == "title" else (field,) for field in MUTABLE_FIELDS}
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
        created_by=row[8],
        updated_by=row[9],
    )


def _writable(task: Task | TaskDraft) -> dict[str, Any]:
    values = (task.title, task.title.casefold(), task.description, task.status.value, task.priority)
    return {bind.key: value for bind, value in zip(_WRITABLE.values(), values, strict=True)}


class SqlTaskRepository(SqlRepository):
    """The `TaskRepository` port inside one unit of work, on either SQL store."""

    __slots__ = ()

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        params = {**_writable(draft), "now": now, "actor_id": actor_id}
        rows = await self._write(_INSERT, params, (TITLE_KEY_INDEX, DuplicateTitle(draft.title)))
        return new_task(draft, rows[0][0], now, actor_id)

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        if for_update:
            await self._session.begin(write=True)
        return await self._one(_GET_FOR_UPDATE if for_update else _GET, {"task_id": task_id}, _to_task)

    async def update(self, task: Task, changed: Collection[str]) -> None:
        params = {**_writable(task), "task_id": task.id, "w_version": task.version}
        params.update(w_updated_at=task.updated_at, w_updated_by=task.updated_by)
        statement = _update_statement(frozenset(changed or MUTABLE_FIELDS))
        await self._write(statement, params, (TITLE_KEY_INDEX, DuplicateTitle(task.title)))

    async def remove(self, task_id: int) -> Task | None:
        rows = await self._write(_DELETE, {"task_id": task_id})
        return _to_task(rows[0]) if rows else None

    async def list(self, query: TaskQuery) -> TaskPage:
        statuses = query.statuses if query.filters_status else None
        total, page = _list_statements(statuses, query.order_by, query.order_dir)
        limit, offset = query.limit, query.offset
        await self._session.begin(write=False)  # the total and the page see one snapshot
        count = (await self._session.rows(total))[0][0]
        rows: Sequence[Row]
        if isinstance(page, DescendingPage):
            rows = await page.read(self._session, limit=limit, offset=offset)
        else:
            rows = await self._session.rows(page, {"limit": limit, "offset": offset})
        return TaskPage(items=[_to_task(r) for r in rows], total=int(count), limit=limit, offset=offset)


@cache
def _update_statement(fields: frozenset[str]) -> ClauseElement:
    """An UPDATE of only these fields' columns, and the stamps: SQLite rewrites every index that
    holds a column named in SET, changed or not (docs/storage.md)."""
    columns = {column: _WRITABLE[column] for field in sorted(fields) for column in _FIELD_COLUMNS[field]}
    stamps = values("updated_at", "version", "updated_by")
    return update(tasks).where(tasks.c.id == bindparam("task_id")).values(**columns, **stamps)


@cache
def _list_statements(
    statuses: frozenset[TaskStatus] | None, order_by: OrderBy, order_dir: OrderDir
) -> tuple[ClauseElement, ClauseElement | DescendingPage]:
    """The total and the page for one filter (None: all) and order, built once (at most 7 × 4 × 2).

    The statuses are bound values of the statement. One status: `status = ?` seeks the (status,
    sort, tie-break) index. Several: `status NOT IN (the others)`, which no index can seek, so the
    page walks the sort column's own index; with `status IN (...)` SQLite sought the status index
    and sorted every match (test_query_plans.py).
    """
    total: Select[Any] = select(func.coalesce(func.sum(task_counts.c.count), 0))
    where: list[ColumnElement[bool]] = []
    if statuses is not None:
        chosen = [literal(status.value) for status in sorted(statuses)]
        if len(chosen) == 1:
            total, where = total.where(task_counts.c.status == chosen[0]), [tasks.c.status == chosen[0]]
        else:
            others = [literal(status.value) for status in sorted(ALL_STATUSES - statuses)]
            total, where = total.where(task_counts.c.status.in_(chosen)), [tasks.c.status.not_in(others)]
    sort, *ties = ORDERS[order_by]
    if order_dir is OrderDir.DESC and ties:  # a page is one statement, but for these
        return total, DescendingPage(sort, ties, where)
    primary = sort.desc() if order_dir is OrderDir.DESC else sort.asc()
    page = select(*TASK_COLUMNS).where(*where).order_by(primary, *(c.asc() for c in ties))
    return total, page.limit(bindparam("limit")).offset(bindparam("offset"))
