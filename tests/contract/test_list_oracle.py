"""Every store pages, filters and orders exactly like the contract's order computed in Python."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings

from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery, order_tasks
from taskservice.domain.task import Task, TaskStatus, apply_changes, make_changes, make_draft
from tests.contract.committed import Committed
from tests.fakes import T0
from tests.strategies import stored_tasks, task_queries


async def _empty(repository: Committed) -> None:
    """Start each example from an empty store, through the port itself."""
    page = await repository.list(TaskQuery(limit=10_000, order_by=OrderBy.CREATED_AT, order_dir=OrderDir.ASC))
    for task in page.items:
        await repository.remove(task.id)


# Bounded whatever the Hypothesis profile: each example writes to a real database, on every store.
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=stored_tasks(), query=task_queries)
async def test_a_page_is_the_slice_of_the_contracts_total_order(
    repository: Committed, rows: list[tuple[str, int, TaskStatus, int, int]], query: TaskQuery
) -> None:
    await _empty(repository)
    stored: list[Task] = []
    for title, priority, status, created, updated in rows:
        task = await repository.add(
            make_draft(title=title, priority=priority, status=status), T0 + timedelta(seconds=created)
        )
        if updated:
            changed, names = apply_changes(task, make_changes(description="edited"), T0 + timedelta(minutes=updated))
            await repository.update(changed, names)
            task = changed
        stored.append(task)

    page = await repository.list(query)

    matching = [t for t in stored if t.status in query.statuses]
    expected = order_tasks(matching, query.order_by, query.order_dir)[query.offset : query.offset + query.limit]
    assert [t.id for t in page.items] == [t.id for t in expected]
    assert page.items == expected
    assert (page.total, page.limit, page.offset) == (len(matching), query.limit, query.offset)
