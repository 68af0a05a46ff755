"""The database decides title uniqueness and ids, on both SQL dialects, under real races:
concurrent adds or renames onto one title key leave exactly one holder, and ids are never reused."""

import asyncio

import pytest

from taskservice.domain.errors import DuplicateTitle
from tests.storage.stores import NOW, add, change, draft, listed, opened, remove

RACERS = 50


def spellings(count: int) -> list[str]:
    """`count` different spellings of one title key (case only), already trimmed."""
    forms = ["Ship the release", "SHIP THE RELEASE", "ship the release", "sHIP THE rELEASE", "Ship The Release"]
    return [forms[i % len(forms)] for i in range(count)]


async def test_concurrent_adds_of_one_title_key_leave_exactly_one_task(empty_database_url: str) -> None:
    async with opened(empty_database_url) as store:
        results = await asyncio.gather(*(add(store, title) for title in spellings(RACERS)), return_exceptions=True)

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(r, DuplicateTitle) for r in losers), losers
        assert await listed(store) == (winners, 1)


async def test_concurrent_renames_onto_one_title_key_leave_exactly_one_holder(empty_database_url: str) -> None:
    async with opened(empty_database_url) as store:
        originals = [await add(store, f"task {i}") for i in range(20)]

        results = await asyncio.gather(
            *(
                change(store, task.id, title=title)
                for task, title in zip(originals, spellings(len(originals)), strict=True)
            ),
            return_exceptions=True,
        )

        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, DuplicateTitle) for r in results if isinstance(r, BaseException)), results
        items, total = await listed(store)
        assert total == len(items) == len(originals)
        assert sum(t.title.casefold() == "ship the release" for t in items) == 1


async def test_a_commit_after_a_duplicate_in_the_same_unit_of_work_never_claims_writes_it_did_not_keep(
    empty_database_url: str,
) -> None:
    """A use case may catch `DuplicateTitle` and go on; then its commit either keeps what the unit
    of work wrote before (SQLite), or refuses (PostgreSQL, which has aborted the transaction). It
    must not answer "committed" and keep nothing."""
    async with opened(empty_database_url) as store:
        await add(store, "Taken")
        async with store.unit_of_work() as work:
            kept = await work.tasks.add(draft("Kept"), NOW)
            with pytest.raises(DuplicateTitle):
                await work.tasks.add(draft("TAKEN"), NOW)
            try:
                await work.commit()
            except Exception:  # noqa: BLE001 - any refusal is honest here
                committed = False
            else:
                committed = True

        items, total = await listed(store)
        assert (kept in items) == committed
        assert total == len(items) == 1 + committed


async def test_ids_are_never_reused_after_the_highest_are_deleted_and_the_store_reopens(
    empty_database_url: str,
) -> None:
    async with opened(empty_database_url) as store:
        ids = [(await add(store, f"t{i}")).id for i in range(3)]
        for task_id in ids[1:]:
            assert await remove(store, task_id) is not None

    # A new store on the same database: nothing the first one held survives.
    async with opened(empty_database_url) as reopened:
        fresh = await add(reopened, "After reopening")

        assert fresh.id > max(ids)
        assert {t.id for t in (await listed(reopened))[0]} == {ids[0], fresh.id}
