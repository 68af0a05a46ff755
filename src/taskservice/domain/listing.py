"""What a caller may ask of the task list: filter, order and page. No HTTP names here."""

import enum
from collections.abc import Iterable
from typing import Final

import msgspec

from taskservice.domain.task import Task, TaskStatus


class OrderBy(enum.StrEnum):
    PRIORITY = "priority"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    # Sorts by the title key (trimmed, casefolded), compared by code point: case-insensitive,
    # identical on every store, and unique, so it needs no tie-break.
    TITLE = "title"


class OrderDir(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"


ALL_STATUSES: Final = frozenset(TaskStatus)


class TaskQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A list request. Ties on `order_by` are broken by created_at asc, then id asc, whatever the direction."""

    statuses: frozenset[TaskStatus] = ALL_STATUSES
    order_by: OrderBy = OrderBy.PRIORITY
    order_dir: OrderDir = OrderDir.DESC
    limit: int = 100
    offset: int = 0

    @property
    def filters_status(self) -> bool:
        return self.statuses != ALL_STATUSES


class TaskPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a list; `total` counts every task matching the filter."""

    items: list[Task]
    total: int
    limit: int
    offset: int


def order_tasks(tasks: Iterable[Task], order_by: OrderBy, order_dir: OrderDir) -> list[Task]:
    """Sort tasks in the contract's total order (for stores that sort in Python)."""
    # Python's sort is stable, also with reverse=True: sort by the tie-break first.
    ordered = sorted(tasks, key=lambda t: (t.created_at, t.id))
    if order_by is OrderBy.TITLE:
        ordered.sort(key=lambda t: t.title_key, reverse=order_dir is OrderDir.DESC)
    else:
        field = order_by.value
        ordered.sort(key=lambda t: getattr(t, field), reverse=order_dir is OrderDir.DESC)
    return ordered
