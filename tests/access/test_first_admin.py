"""A dev start on a store with no users creates admin@localhost and prints its key once; the key works."""

import re

import pytest
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.bootstrap import create_app
from tests.auth import bearer
from tests.conftest import make_settings

KEY = re.compile(r"^    (tsk_[A-Za-z0-9_-]{43})$", re.MULTILINE)


async def test_a_dev_start_on_an_empty_store_prints_a_working_admin_key_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = MemoryStore()
    async with AsyncTestClient(
        app=create_app(make_settings(APP_ENV="dev", DATABASE_URL="memory://"), store=store)
    ) as client:
        printed = capsys.readouterr()
        assert printed.out == ""  # stdout stays for the service's log lines
        [key] = KEY.findall(printed.err)
        assert "admin@localhost" in printed.err
        assert f'curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000/v1/tasks' in printed.err
        me = await client.post("/v1/tasks", json={"title": "first", "priority": 1}, headers=bearer(key))
        assert me.status_code == 201
        assert (await client.get("/v1/tasks")).status_code == 401
    async with AsyncTestClient(app=create_app(make_settings(APP_ENV="dev", DATABASE_URL="memory://"), store=store)):
        assert KEY.findall(capsys.readouterr().err) == []  # users exist now: nothing created, nothing printed


@pytest.mark.parametrize("app_env", ["test", "qa", "prod"])
async def test_other_environments_create_no_one(capsys: pytest.CaptureFixture[str], app_env: str) -> None:
    store = MemoryStore()
    async with AsyncTestClient(app=create_app(make_settings(APP_ENV=app_env, DATABASE_URL="memory://"), store=store)):
        pass
    assert "tsk_" not in capsys.readouterr().err
    async with store.unit_of_work() as work:
        assert not await work.users.exists()
