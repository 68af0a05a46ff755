"""Several workers need a database they can share; an in-memory one refuses to start."""

import pytest

from taskservice.settings import SettingsError
from tests.conftest import make_settings


@pytest.mark.parametrize("database_url", ["memory://", "sqlite+aiosqlite:///:memory:"])
def test_several_workers_on_an_in_memory_database_refuse_to_start(database_url: str) -> None:
    with pytest.raises(SettingsError, match="WORKERS") as refused:
        make_settings(DATABASE_URL=database_url, WORKERS="2")

    assert "in-memory" in str(refused.value)


@pytest.mark.parametrize(
    "database_url", ["sqlite+aiosqlite:///tasks.db", "postgresql+asyncpg://postgres@127.0.0.1:5432/tasks"]
)
def test_several_workers_start_on_a_sqlite_file_or_postgresql(database_url: str) -> None:
    assert make_settings(DATABASE_URL=database_url, WORKERS="4").workers == 4


def test_one_worker_may_use_an_in_memory_database() -> None:
    assert make_settings(DATABASE_URL="memory://", WORKERS="1").database_url == "memory://"
