"""GET /v1/tasks: every query parameter, its default, its bounds and its refusals."""

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware
from tests.fakes import FixedClock
from tests.http.conftest import ClientFactory
from tests.http.envelope import field_errors

Client = AsyncTestClient[RequestContextMiddleware]


async def create(client: Client, title: str, priority: int = 3, status: str = "new") -> dict[str, Any]:
    response = await client.post("/v1/tasks", json={"title": title, "priority": priority, "status": status})
    assert response.status_code == 201, response.text
    return response.json()


async def titles(client: Client, query: str) -> list[str]:
    response = await client.get(f"/v1/tasks?{query}")
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


@pytest.fixture
async def five(clocked_client: Client, clock: FixedClock) -> Client:
    """Five tasks a..e, one second apart; priorities 2,5,1,5,3; statuses mixed; c then a edited later."""
    for title, priority, status in [
        ("a", 2, "new"),
        ("B", 5, "in_progress"),
        ("c", 1, "completed"),
        ("D", 5, "new"),
        ("e", 3, "completed"),
    ]:
        await create(clocked_client, title, priority, status)
        clock.advance(timedelta(seconds=1))
    for title_id in (3, 1):
        assert (await clocked_client.patch(f"/v1/tasks/{title_id}", json={"description": "edited"})).status_code == 200
        clock.advance(timedelta(seconds=1))
    return clocked_client


async def test_defaults_to_every_status_by_priority_desc_with_limit_100_offset_0(five: Client) -> None:
    page = (await five.get("/v1/tasks")).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert (page["total"], page["limit"], page["offset"]) == (5, 100, 0)
    # B and D tie on priority 5: the earlier created comes first.
    assert [t["title"] for t in page["items"]] == ["B", "D", "e", "a", "c"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("order_by=priority&order_dir=desc", ["B", "D", "e", "a", "c"]),
        ("order_by=priority&order_dir=asc", ["c", "a", "e", "B", "D"]),
        ("order_by=created_at&order_dir=asc", ["a", "B", "c", "D", "e"]),
        ("order_by=created_at", ["e", "D", "c", "B", "a"]),
        ("order_by=updated_at&order_dir=asc", ["B", "D", "e", "c", "a"]),
        ("order_by=updated_at&order_dir=desc", ["a", "c", "e", "D", "B"]),
        ("order_by=title&order_dir=asc", ["a", "B", "c", "D", "e"]),
        ("order_by=title&order_dir=desc", ["e", "D", "c", "B", "a"]),
        ("order_dir=asc", ["c", "a", "e", "B", "D"]),
    ],
)
async def test_sorts_by_each_field_in_each_direction(five: Client, query: str, expected: list[str]) -> None:
    assert await titles(five, query) == expected


@pytest.mark.parametrize(
    ("query", "expected", "total"),
    [
        ("status=new", ["D", "a"], 2),
        ("status=completed", ["e", "c"], 2),
        ("status=new&status=in_progress", ["B", "D", "a"], 3),
        ("status=new&status=new", ["D", "a"], 2),
        ("status=new&status=in_progress&status=completed", ["B", "D", "e", "a", "c"], 5),
    ],
)
async def test_status_filters_and_repeats_and_total_counts_the_filter(
    five: Client, query: str, expected: list[str], total: int
) -> None:
    page = (await five.get(f"/v1/tasks?{query}&limit=1")).json()
    assert [t["title"] for t in page["items"]] == expected[:1]
    assert page["total"] == total
    assert await titles(five, query) == expected


async def test_limit_and_offset_cut_the_page_and_are_echoed(five: Client) -> None:
    page = (await five.get("/v1/tasks?order_by=title&order_dir=asc&limit=2&offset=1")).json()
    assert ([t["title"] for t in page["items"]], page["total"], page["limit"], page["offset"]) == (
        ["B", "c"],
        5,
        2,
        1,
    )
    beyond = (await five.get("/v1/tasks?offset=5")).json()
    assert (beyond["items"], beyond["total"], beyond["offset"]) == ([], 5, 5)


async def test_limit_accepts_its_bounds(five: Client) -> None:
    assert len(await titles(five, "limit=1")) == 1
    assert len(await titles(five, "limit=500")) == 5
    assert len(await titles(five, "limit=05")) == 5  # leading zeros are still a decimal integer


async def test_limit_bounds_and_default_follow_the_settings(client_for: ClientFactory) -> None:
    async with client_for(DEFAULT_LIST_LIMIT="2", MAX_LIST_LIMIT="3") as client:
        for n in range(4):
            await create(client, f"t{n}")
        page = (await client.get("/v1/tasks")).json()
        assert (len(page["items"]), page["limit"], page["total"]) == (2, 2, 4)
        assert len(await titles(client, "limit=3")) == 3
        response = await client.get("/v1/tasks?limit=4")
        assert field_errors(response) == [("query", "limit")]
        assert "3" in response.json()["error"]["details"]["errors"][0]["message"]


async def test_list_works_the_same_on_every_store(client: Client) -> None:
    for title, priority, status in [("x", 1, "new"), ("y", 4, "completed"), ("z", 4, "new")]:
        await create(client, title, priority, status)
    page = (await client.get("/v1/tasks?status=new&order_by=priority&order_dir=desc&limit=1&offset=0")).json()
    assert ([t["title"] for t in page["items"]], page["total"]) == (["z"], 2)
    assert await titles(client, "order_by=title&order_dir=desc") == ["z", "y", "x"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=5.0", "limit"),
        ("limit=1e2", "limit"),
        ("limit=", "limit"),
        ("limit", "limit"),
        ("limit=+5", "limit"),
        ("limit=%205", "limit"),
        ("limit=1&limit=2", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=9223372036854775808", "offset"),
        ("offset=0&offset=0", "offset"),
        ("order_by=due_at", "order_by"),
        ("order_by=Priority", "order_by"),
        ("order_by=", "order_by"),
        ("order_by=title&order_by=priority", "order_by"),
        ("order_dir=DESC", "order_dir"),
        ("order_dir=up", "order_dir"),
        ("order_dir=asc&order_dir=desc", "order_dir"),
        ("status=done", "status"),
        ("status=", "status"),
        ("status=New", "status"),
        ("status=new,completed", "status"),
        ("statuses=new", "statuses"),
        ("page=2", "page"),
        ("Limit=5", "Limit"),
    ],
)
async def test_an_unknown_value_or_parameter_is_422_from_the_query(
    memory_client: Client, query: str, field: str
) -> None:
    assert field_errors(await memory_client.get(f"/v1/tasks?{query}")) == [("query", field)]


async def test_every_query_problem_is_reported_at_once(memory_client: Client) -> None:
    response = await memory_client.get("/v1/tasks?limit=0&offset=-1&order_by=x&order_dir=y&status=z&q=1")
    assert sorted(field_errors(response)) == [
        ("query", "limit"),
        ("query", "offset"),
        ("query", "order_by"),
        ("query", "order_dir"),
        ("query", "q"),
        ("query", "status"),
    ]
