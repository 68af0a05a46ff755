"""The contract's total order for lists, as the in-memory store applies it."""

from datetime import timedelta

import msgspec
import pytest

from taskservice.domain.listing import ALL_STATUSES, OrderBy, OrderDir, TaskQuery, order_tasks
from taskservice.domain.task import Task, TaskStatus
from tests.fakes import T0, make_task


def task(task_id: int, *, priority: int = 3, created: int = 0, updated: int = 0, title: str | None = None) -> Task:
    return make_task(
        id=task_id,
        title=title or f"task {task_id}",
        priority=priority,
        created_at=T0 + timedelta(seconds=created),
        updated_at=T0 + timedelta(seconds=updated),
    )


def ids(tasks: list[Task]) -> list[int]:
    return [t.id for t in tasks]


def test_a_default_query_asks_for_every_status_by_priority_desc() -> None:
    query = TaskQuery()
    assert (query.order_by, query.order_dir, query.limit, query.offset) == (OrderBy.PRIORITY, OrderDir.DESC, 100, 0)
    assert query.statuses == ALL_STATUSES
    assert not query.filters_status
    assert TaskQuery(statuses=frozenset({TaskStatus.NEW})).filters_status


@pytest.mark.parametrize("direction", list(OrderDir))
def test_ties_break_by_created_at_then_id_ascending_whatever_the_direction(direction: OrderDir) -> None:
    tasks = [task(4, created=1), task(3, created=1), task(2, created=0), task(1, created=2)]
    assert ids(order_tasks(tasks, OrderBy.PRIORITY, direction)) == [2, 3, 4, 1]


def test_priority_desc_puts_the_highest_first_and_keeps_ties_in_creation_order() -> None:
    tasks = [task(1, priority=1), task(2, priority=5, created=1), task(3, priority=5)]
    assert ids(order_tasks(tasks, OrderBy.PRIORITY, OrderDir.DESC)) == [3, 2, 1]
    assert ids(order_tasks(tasks, OrderBy.PRIORITY, OrderDir.ASC)) == [1, 3, 2]


def test_updated_at_sorts_by_the_last_change() -> None:
    tasks = [task(1, updated=5), task(2, updated=1), task(3, updated=9)]
    assert ids(order_tasks(tasks, OrderBy.UPDATED_AT, OrderDir.ASC)) == [2, 1, 3]
    assert ids(order_tasks(tasks, OrderBy.UPDATED_AT, OrderDir.DESC)) == [3, 1, 2]


def test_title_sorts_by_the_casefolded_key_in_code_point_order() -> None:
    tasks = [task(1, title="banana"), task(2, title="Apple"), task(3, title="cherry"), task(4, title="Zebra")]
    assert ids(order_tasks(tasks, OrderBy.TITLE, OrderDir.ASC)) == [2, 1, 3, 4]
    assert ids(order_tasks(tasks, OrderBy.TITLE, OrderDir.DESC)) == [4, 3, 1, 2]


def test_ordering_does_not_mutate_its_input() -> None:
    tasks = [task(2, priority=1), task(1, priority=5)]
    before = msgspec.json.encode(tasks)
    order_tasks(tasks, OrderBy.PRIORITY, OrderDir.DESC)
    assert msgspec.json.encode(tasks) == before
