"""A SQL store's pool figures (size, in use), as /readyz and /metrics report them."""

import pytest

from taskservice.ports.repository import PoolUsage
from tests.storage.stores import NOW, draft, opened


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    value: str = request.getfixturevalue("empty_postgres_url" if request.param == "postgres" else "sqlite_url")
    return value


async def test_a_write_in_progress_holds_one_connection_until_its_unit_of_work_ends(url: str) -> None:
    async with opened(url, pool_size=3) as store:
        size = 2 if url.startswith("sqlite") else 3
        assert store.pool() == PoolUsage(size, 0)
        async with store.unit_of_work() as work:
            await work.tasks.add(draft("held"), NOW)
            assert store.pool() == PoolUsage(size, 1)
            await work.commit()
        assert store.pool() == PoolUsage(size, 0)
    assert store.pool() is None  # closed: no pool to report
