"""Several worker processes on one database: the title key stays unique under real races.

WORKERS=2 on PostgreSQL and on the SQLite file (WAL + busy_timeout serialise the writers; see
docs/storage.md), each on a fresh database that the service migrates on start.
"""

import asyncio
from collections import Counter
from collections.abc import Generator

import httpx
import pytest

from tests.databases import fresh_postgres_database
from tests.process import MODULE, Service, running

pytestmark = pytest.mark.e2e

RACERS = 50
WORKERS = 2
ENVIRONMENT = {"APP_ENV": "test", "LOG_LEVEL": "INFO", "HOST": "127.0.0.1"}
SERVE = [*MODULE, "serve"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Generator[Service]:
    directory = tmp_path_factory.mktemp(f"workers-{request.param}")
    if request.param == "sqlite":
        environ = {**ENVIRONMENT, "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'tasks.db'}"}
        with running(directory, environ, argv=SERVE, workers=WORKERS) as started:
            yield started
        return
    request.applymarker(pytest.mark.postgres)
    with (
        fresh_postgres_database() as url,
        running(directory, {**ENVIRONMENT, "DATABASE_URL": url}, argv=SERVE, workers=WORKERS) as started,
    ):
        yield started


def spellings(base: str, count: int) -> list[str]:
    """`count` spellings of one title key: case and outer whitespace differ."""
    forms = [base, base.upper(), f"  {base.lower()} ", f"\t{base.swapcase()}", f"{base.title()}\n"]
    return [forms[i % len(forms)] for i in range(count)]


async def titles_with_key(http: httpx.AsyncClient, key: str) -> list[str]:
    page = (await http.get("/v1/tasks", params={"limit": 500})).json()
    return [task["title"] for task in page["items"] if task["title"].casefold() == key]


async def test_concurrent_creates_of_one_title_key_across_workers_give_one_201_and_409s(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60, headers=service.headers) as http:
        responses = await asyncio.gather(
            *(http.post("/v1/tasks", json={"title": title, "priority": 3}) for title in spellings("Race me", RACERS))
        )

        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: RACERS - 1}, [r.text for r in responses if r.status_code not in (201, 409)]
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"duplicate_task"}
        assert len(await titles_with_key(http, "race me")) == 1


async def test_concurrent_renames_onto_one_title_key_across_workers_leave_one_holder(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60, headers=service.headers) as http:
        created = [
            (await http.post("/v1/tasks", json={"title": f"rename source {i}", "priority": 2})).json()
            for i in range(RACERS)
        ]
        responses = await asyncio.gather(
            *(
                http.patch(f"/v1/tasks/{task['id']}", json={"title": title})
                for task, title in zip(created, spellings("Rename target", RACERS), strict=True)
            )
        )

        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 409: RACERS - 1}, [r.text for r in responses if r.status_code not in (200, 409)]
        assert len(await titles_with_key(http, "rename target")) == 1
        page = (await http.get("/v1/tasks", params={"limit": 500})).json()
        assert sum(t["title"].startswith("rename source") for t in page["items"]) == RACERS - 1
