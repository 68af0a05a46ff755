"""One contract for every `TaskRepository`: in-memory, SQLite file and PostgreSQL behave alike.

Each call here is one unit of work, committed (`Committed`), as a use case makes it; what units
of work themselves promise is in test_unit_of_work.py. The `repository` fixture
(tests/contract/conftest.py) gives a fresh, empty, migrated store of each kind.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery
from taskservice.domain.task import Task, TaskStatus, apply_changes, make_changes, make_draft
from tests.contract.committed import Committed
from tests.fakes import T0


async def add(repository: Committed, title: str, *, at: datetime = T0, priority: int = 3, **fields: object) -> Task:
    return await repository.add(make_draft(title=title, priority=priority, **fields), at)  # pyright: ignore[reportArgumentType]


async def everything(repository: Committed) -> list[Task]:
    page = await repository.list(TaskQuery(limit=10_000, order_by=OrderBy.CREATED_AT, order_dir=OrderDir.ASC))
    return sorted(page.items, key=lambda t: t.id)


async def changed(repository: Committed, task: Task, at: datetime, **fields: object) -> Task:
    """Apply `fields` to `task` and store it, as the use cases do (naming the fields that changed)."""
    updated, names = apply_changes(task, make_changes(**fields), at)  # pyright: ignore[reportArgumentType]
    await repository.update(updated, names)
    return updated


class TestAdd:
    async def test_stores_every_field_and_reads_it_back_exactly(self, repository: Committed) -> None:
        task = await add(repository, "Ship it", priority=5, description="ß and 🚀", status=TaskStatus.IN_PROGRESS)
        assert task == Task(
            id=task.id,
            title="Ship it",
            description="ß and 🚀",
            status=TaskStatus.IN_PROGRESS,
            priority=5,
            created_at=T0,
            updated_at=T0,
            version=1,
        )
        assert await repository.get(task.id) == task

    async def test_timestamps_come_back_as_utc_with_microseconds(self, repository: Committed) -> None:
        task = await add(repository, "t")
        stored = await repository.get(task.id)
        assert stored is not None
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at.microsecond == T0.microsecond

    async def test_assigns_positive_increasing_ids(self, repository: Committed) -> None:
        ids = [(await add(repository, f"t{n}")).id for n in range(3)]
        assert ids[0] >= 1
        assert ids == sorted(set(ids))

    async def test_never_reuses_the_id_of_a_deleted_task(self, repository: Committed) -> None:
        await add(repository, "first")
        last = await add(repository, "last")
        await repository.remove(last.id)
        assert (await add(repository, "next")).id > last.id

    async def test_raises_duplicate_title_when_the_key_is_taken_and_stores_nothing(self, repository: Committed) -> None:
        await add(repository, "Fix bug")
        before = await everything(repository)
        for variant in ("fix bug", "FIX BUG", "Fix Bug"):
            with pytest.raises(DuplicateTitle):
                await add(repository, variant)
        assert await everything(repository) == before

    async def test_keys_collide_by_casefold_not_only_by_lowercase(self, repository: Committed) -> None:
        await add(repository, "Straße")
        with pytest.raises(DuplicateTitle):
            await add(repository, "STRASSE")

    async def test_titles_that_differ_inside_or_by_punctuation_coexist(self, repository: Committed) -> None:
        for title in ("Fix bug", "Fix  bug", "Fix bug!", "é", "e\u0301"):
            await add(repository, title)
        assert len(await everything(repository)) == 5

    async def test_keeps_long_multibyte_titles_and_descriptions_intact(self, repository: Committed) -> None:
        title, description = "é" * 200, "🚀" * 2000
        task = await add(repository, title, description=description)
        stored = await repository.get(task.id)
        assert stored is not None
        assert (stored.title, stored.description) == (title, description)

    async def test_concurrent_adds_of_one_key_leave_exactly_one_task(self, repository: Committed) -> None:
        results = await asyncio.gather(
            *(add(repository, variant) for variant in ("Race", "race", "RACE", " Race")), return_exceptions=True
        )
        winners = [r for r in results if isinstance(r, Task)]
        assert len(winners) == 1
        assert all(isinstance(r, DuplicateTitle) for r in results if not isinstance(r, Task))
        assert await everything(repository) == winners


class TestGetUpdateRemove:
    async def test_get_returns_none_for_an_unknown_id(self, repository: Committed) -> None:
        assert await repository.get(1) is None
        assert await repository.get(2**63 - 1) is None

    async def test_update_replaces_the_task(self, repository: Committed) -> None:
        task = await add(repository, "A")
        saved = await changed(repository, task, T0 + timedelta(seconds=1), title="B", description=None, priority=1)
        assert (saved.title, saved.priority, saved.version) == ("B", 1, 2)
        assert saved.updated_at == T0 + timedelta(seconds=1)
        assert await repository.get(task.id) == saved

    async def test_update_frees_the_old_key_and_takes_the_new_one(self, repository: Committed) -> None:
        task = await add(repository, "Old")
        await changed(repository, task, T0, title="New")
        await add(repository, "old")
        with pytest.raises(DuplicateTitle):
            await add(repository, "NEW")

    async def test_update_may_rename_a_task_onto_its_own_key(self, repository: Committed) -> None:
        task = await add(repository, "fix bug")
        assert (await changed(repository, task, T0, title="FIX BUG")).title == "FIX BUG"

    async def test_update_onto_another_tasks_key_raises_duplicate_title_and_changes_nothing(
        self, repository: Committed
    ) -> None:
        await add(repository, "First")
        second = await add(repository, "Second")
        before = await everything(repository)
        renamed, names = apply_changes(second, make_changes(title="first", priority=1), T0)
        with pytest.raises(DuplicateTitle):
            await repository.update(renamed, names)
        assert await everything(repository) == before

    @pytest.mark.parametrize(
        "fields",
        [
            {"priority": 1},
            {"title": "Renamed"},
            {"description": None},
            {"status": TaskStatus.COMPLETED},
            {"title": "All of it", "description": "new", "status": TaskStatus.IN_PROGRESS, "priority": 5},
        ],
        ids="+".join,
    )
    async def test_updating_only_the_changed_fields_stores_the_whole_new_task(
        self, repository: Committed, fields: dict[str, object]
    ) -> None:
        task = await add(repository, "Before", description="old", priority=3)
        other = await add(repository, "Other")
        updated, names = apply_changes(task, make_changes(**fields), T0 + timedelta(seconds=1))  # pyright: ignore[reportArgumentType]
        assert set(names) == set(fields)
        await repository.update(updated, names)
        assert await everything(repository) == [updated, other]
        # The title key, the list order and the per-status totals follow the new values.
        page = await repository.list(TaskQuery(statuses=frozenset({updated.status}), limit=10))
        assert updated in page.items

    async def test_remove_returns_the_last_state_then_none(self, repository: Committed) -> None:
        task = await add(repository, "A")
        task = await changed(repository, task, T0 + timedelta(seconds=3), description="last words")
        keep = await add(repository, "B")
        assert await repository.remove(task.id) == task
        assert await repository.remove(task.id) is None
        assert await everything(repository) == [keep]

    async def test_ping_answers(self, repository: Committed) -> None:
        await repository.store.ping()


class TestList:
    async def test_an_empty_store_lists_nothing(self, repository: Committed) -> None:
        assert msgspec.structs.asdict(await repository.list(TaskQuery())) == {
            "items": [],
            "total": 0,
            "limit": 100,
            "offset": 0,
        }

    async def test_filters_by_any_set_of_statuses_and_counts_every_match(self, repository: Committed) -> None:
        for n, status in enumerate([TaskStatus.NEW, TaskStatus.NEW, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED]):
            await add(repository, f"t{n}", status=status)
        for statuses, expected in [
            ({TaskStatus.NEW}, 2),
            ({TaskStatus.IN_PROGRESS}, 1),
            ({TaskStatus.NEW, TaskStatus.COMPLETED}, 3),
            (set(TaskStatus), 4),
        ]:
            page = await repository.list(TaskQuery(statuses=frozenset(statuses), limit=1))
            assert page.total == expected
            assert len(page.items) == 1
            assert page.items[0].status in statuses

    async def test_total_counts_the_whole_filter_while_limit_and_offset_cut_the_page(
        self, repository: Committed
    ) -> None:
        created = [await add(repository, f"t{n}", at=T0 + timedelta(seconds=n)) for n in range(7)]
        query = TaskQuery(order_by=OrderBy.CREATED_AT, order_dir=OrderDir.ASC, limit=3, offset=2)
        page = await repository.list(query)
        assert [t.id for t in page.items] == [t.id for t in created[2:5]]
        assert (page.total, page.limit, page.offset) == (7, 3, 2)

    async def test_an_offset_past_the_end_gives_no_items_but_the_total(self, repository: Committed) -> None:
        await add(repository, "only")
        page = await repository.list(TaskQuery(offset=2**63 - 1))
        assert (page.items, page.total) == ([], 1)

    async def test_ties_break_by_created_at_then_id_ascending_in_both_directions(self, repository: Committed) -> None:
        # Same priority and updated_at everywhere; created_at ties between b and c, decided by id.
        a = await add(repository, "a", at=T0 + timedelta(seconds=2))
        b = await add(repository, "b", at=T0)
        c = await add(repository, "c", at=T0)
        for task in (a, b, c):
            await changed(repository, task, T0 + timedelta(hours=1), description="same instant")
        for order_by in (OrderBy.PRIORITY, OrderBy.UPDATED_AT):
            for order_dir in OrderDir:
                page = await repository.list(TaskQuery(order_by=order_by, order_dir=order_dir))
                assert [t.id for t in page.items] == [b.id, c.id, a.id], (order_by, order_dir)
        # created_at itself follows the direction; only the id tie-break stays ascending.
        for order_dir, expected in ((OrderDir.ASC, [b.id, c.id, a.id]), (OrderDir.DESC, [a.id, b.id, c.id])):
            page = await repository.list(TaskQuery(order_by=OrderBy.CREATED_AT, order_dir=order_dir))
            assert [t.id for t in page.items] == expected, order_dir

    async def test_sorts_by_each_field_in_both_directions(self, repository: Committed) -> None:
        for n, priority in enumerate([2, 5, 1, 4, 3]):
            task = await add(repository, f"t{n}", priority=priority, at=T0 + timedelta(minutes=priority))
            await changed(repository, task, T0 + timedelta(hours=6 - priority), description="touched")
        for order_by in (OrderBy.PRIORITY, OrderBy.CREATED_AT, OrderBy.UPDATED_AT):
            for order_dir in OrderDir:
                page = await repository.list(TaskQuery(order_by=order_by, order_dir=order_dir))
                values = [getattr(t, order_by.value) for t in page.items]
                assert values == sorted(values, reverse=order_dir is OrderDir.DESC), (order_by, order_dir)
                assert len(set(values)) == 5

    async def test_title_order_is_casefolded_code_point_order(self, repository: Committed) -> None:
        for title in ("banana", "Apple", "cherry", "Zebra", "élan", "Ärger", "apricot"):
            await add(repository, title)
        asc = await repository.list(TaskQuery(order_by=OrderBy.TITLE, order_dir=OrderDir.ASC))
        desc = await repository.list(TaskQuery(order_by=OrderBy.TITLE, order_dir=OrderDir.DESC))
        expected = ["Apple", "apricot", "banana", "cherry", "Zebra", "Ärger", "élan"]
        assert [t.title for t in asc.items] == expected
        assert [t.title for t in desc.items] == expected[::-1]

    async def test_pages_walk_the_whole_order_without_gaps_or_repeats(self, repository: Committed) -> None:
        # Only two priorities and one instant: nearly everything is a tie.
        for n in range(11):
            await add(repository, f"t{n}", priority=1 + n % 2, at=datetime(2026, 1, 1, tzinfo=UTC))
        seen: list[int] = []
        for offset in range(0, 12, 4):
            page = await repository.list(TaskQuery(limit=4, offset=offset))
            seen.extend(t.id for t in page.items)
        full = await repository.list(TaskQuery())
        assert seen == [t.id for t in full.items]
        assert len(set(seen)) == 11
