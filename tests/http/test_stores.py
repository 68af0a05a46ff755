"""Which store DATABASE_URL picks: `memory://` and `sqlite+aiosqlite:///:memory:` are throw-away,
a SQLite file keeps tasks for the next app (the real process is restarted in tests/e2e)."""

from pathlib import Path

import pytest

from tests.auth import admin_client
from tests.conftest import make_settings


@pytest.mark.parametrize("database_url", ["memory://", "sqlite+aiosqlite:///:memory:"])
async def test_a_throw_away_store_starts_empty_every_time_and_writes_no_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = make_settings(DATABASE_URL=database_url)
    for _ in range(2):
        async with admin_client(settings) as client:
            assert (await client.get("/v1/tasks")).json()["total"] == 0
            assert (await client.post("/v1/tasks", json={"title": "t", "priority": 1})).status_code == 201
            assert (await client.get("/v1/tasks")).json()["total"] == 1
            assert (await client.get("/readyz")).status_code == 200
    assert list(tmp_path.iterdir()) == []  # noqa: ASYNC240 - the app has stopped; nothing to block


async def test_a_sqlite_file_is_migrated_on_start_and_keeps_tasks_for_the_next_app(tmp_path: Path) -> None:
    settings = make_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}")
    async with admin_client(settings) as client:
        created = (await client.post("/v1/tasks", json={"title": "kept", "priority": 2})).json()
    async with admin_client(settings) as client:
        assert (await client.get(f"/v1/tasks/{created['id']}")).json() == created
