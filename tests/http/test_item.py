"""GET, PUT, PATCH and DELETE on /v1/tasks/{task_id}."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from litestar.serialization import encode_json
from litestar.testing import AsyncTestClient

from taskservice.domain.task import Task, TaskStatus
from taskservice.http.json_response import EncodedJson
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.http.tasks import task_response
from tests.fakes import FixedClock
from tests.http.envelope import assert_error, field_errors

Client = AsyncTestClient[RequestContextMiddleware]
MAX_ID = 2**63 - 1


async def create(client: Client, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/tasks", json={"priority": 3, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def everything(client: Client) -> Any:
    return (await client.get("/v1/tasks?order_by=created_at&order_dir=asc&limit=500")).json()


class TestGet:
    async def test_returns_the_task(self, client: Client) -> None:
        task = await create(client, title="A", description="d")
        response = await client.get(f"/v1/tasks/{task['id']}")
        assert (response.status_code, response.json()) == (200, task)

    async def test_a_trailing_slash_and_leading_zeros_name_the_same_task(self, memory_client: Client) -> None:
        task = await create(memory_client, title="A")
        for path in (f"/v1/tasks/{task['id']}/", f"/v1/tasks/000{task['id']}"):
            assert (await memory_client.get(path)).json() == task, path

    async def test_returns_404_task_not_found_with_the_id(self, memory_client: Client) -> None:
        response = await memory_client.get(f"/v1/tasks/{MAX_ID}")
        assert assert_error(response, 404, "task_not_found")["details"] == {"id": MAX_ID}


@pytest.mark.parametrize(
    "raw_id", ["abc", "0", "-1", "+1", "1.0", "1e3", "0x10", "1_0", " 1", "%EF%BC%91", str(MAX_ID + 1), "9" * 40]
)
async def test_an_id_that_is_not_a_positive_64_bit_integer_is_422_from_the_path(
    memory_client: Client, raw_id: str
) -> None:
    await create(memory_client, title="exists")
    before = await everything(memory_client)
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await memory_client.request(method, f"/v1/tasks/{raw_id}", json={"title": "x", "priority": 1})
        assert field_errors(response) == [("path", "task_id")], method
    assert await everything(memory_client) == before


class TestPut:
    async def test_replaces_every_field_and_resets_left_out_ones_to_create_defaults(self, client: Client) -> None:
        task = await create(client, title="A", description="d", status="completed")
        response = await client.put(f"/v1/tasks/{task['id']}", json={"title": "  B ", "priority": 1})
        assert response.status_code == 200
        replaced = response.json()
        assert {k: replaced[k] for k in ("title", "description", "status", "priority")} == {
            "title": "B",
            "description": None,
            "status": "new",
            "priority": 1,
        }
        assert (replaced["id"], replaced["created_at"], replaced["version"]) == (task["id"], task["created_at"], 2)
        assert replaced["updated_at"] > task["updated_at"]
        assert (await client.get(f"/v1/tasks/{task['id']}")).json() == replaced

    async def test_with_equal_values_returns_200_and_bumps_nothing(self, client: Client) -> None:
        task = await create(client, title="A", description="d")
        before = await everything(client)
        response = await client.put(f"/v1/tasks/{task['id']}", json={"title": "A", "priority": 3, "description": "d"})
        assert (response.status_code, response.json()) == (200, task)
        assert await everything(client) == before

    async def test_returns_404_for_an_unknown_id_and_creates_nothing(self, memory_client: Client) -> None:
        response = await memory_client.put("/v1/tasks/77", json={"title": "A", "priority": 1})
        assert assert_error(response, 404, "task_not_found")["details"] == {"id": 77}
        assert (await everything(memory_client))["total"] == 0

    async def test_returns_409_when_renaming_onto_another_tasks_key(self, client: Client) -> None:
        await create(client, title="First")
        second = await create(client, title="Second")
        before = await everything(client)
        response = await client.put(f"/v1/tasks/{second['id']}", json={"title": " first", "priority": 5})
        assert assert_error(response, 409, "duplicate_task")["details"] == {"title": " first"}
        assert await everything(client) == before

    async def test_may_rename_a_task_onto_its_own_key(self, client: Client) -> None:
        task = await create(client, title="fix bug")
        response = await client.put(f"/v1/tasks/{task['id']}", json={"title": "FIX BUG", "priority": 3})
        assert (response.status_code, response.json()["title"]) == (200, "FIX BUG")

    async def test_takes_the_post_body_rules(self, memory_client: Client) -> None:
        task = await create(memory_client, title="A")
        url = f"/v1/tasks/{task['id']}"
        assert field_errors(await memory_client.put(url, json={"title": "A"})) == [("body", "priority")]
        assert field_errors(await memory_client.put(url, json={"priority": 1})) == [("body", "title")]
        response = await memory_client.put(url, json={"title": "A", "priority": 1, "created_at": "x"})
        assert assert_error(response, 422, "read_only_field")["details"] == {"field": "created_at"}
        assert (await memory_client.get(url)).json() == task


class TestPatch:
    async def test_changes_only_the_fields_present(self, client: Client) -> None:
        task = await create(client, title="A", description="keep me")
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"status": "in_progress", "priority": 5})
        assert response.status_code == 200
        patched = response.json()
        assert patched == {
            **task,
            "status": "in_progress",
            "priority": 5,
            "updated_at": patched["updated_at"],
            "version": 2,
        }
        assert patched["updated_at"] > task["updated_at"]

    async def test_null_clears_the_description(self, client: Client) -> None:
        task = await create(client, title="A", description="gone soon")
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"description": None})
        assert response.json()["description"] is None
        assert (await client.get(f"/v1/tasks/{task['id']}")).json()["description"] is None

    @pytest.mark.parametrize("field", ["title", "status", "priority"])
    async def test_null_for_a_required_field_is_a_validation_error(self, memory_client: Client, field: str) -> None:
        task = await create(memory_client, title="A")
        response = await memory_client.patch(f"/v1/tasks/{task['id']}", json={field: None})
        assert field_errors(response) == [("body", field)]
        assert (await memory_client.get(f"/v1/tasks/{task['id']}")).json() == task

    async def test_an_empty_object_is_422_empty_update(self, memory_client: Client) -> None:
        task = await create(memory_client, title="A")
        response = await memory_client.patch(f"/v1/tasks/{task['id']}", json={})
        assert_error(response, 422, "empty_update")
        assert (await memory_client.get(f"/v1/tasks/{task['id']}")).json() == task

    async def test_with_equal_values_returns_200_and_bumps_nothing(self, client: Client) -> None:
        task = await create(client, title="A", description=None)
        before = await everything(client)
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"title": " A ", "description": None})
        assert (response.status_code, response.json()) == (200, task)
        assert await everything(client) == before

    async def test_returns_404_for_an_unknown_id(self, memory_client: Client) -> None:
        response = await memory_client.patch("/v1/tasks/5", json={"priority": 1})
        assert assert_error(response, 404, "task_not_found")["details"] == {"id": 5}

    async def test_returns_409_when_renaming_onto_another_tasks_key(self, client: Client) -> None:
        await create(client, title="First")
        second = await create(client, title="Second")
        before = await everything(client)
        response = await client.patch(f"/v1/tasks/{second['id']}", json={"title": "FIRST"})
        assert assert_error(response, 409, "duplicate_task")["details"] == {"title": "FIRST"}
        assert await everything(client) == before

    async def test_may_change_the_case_of_its_own_title(self, client: Client) -> None:
        task = await create(client, title="fix bug")
        response = await client.patch(f"/v1/tasks/{task['id']}", json={"title": "Fix Bug"})
        assert (response.status_code, response.json()["title"], response.json()["version"]) == (200, "Fix Bug", 2)

    @pytest.mark.parametrize(
        "field", ["id", "created_at", "updated_at", "completed_at", "version", "created_by", "updated_by"]
    )
    async def test_a_server_owned_field_is_422_read_only_field(self, memory_client: Client, field: str) -> None:
        task = await create(memory_client, title="A")
        response = await memory_client.patch(f"/v1/tasks/{task['id']}", json={field: 1, "priority": 1})
        assert assert_error(response, 422, "read_only_field")["details"] == {"field": field}
        assert (await memory_client.get(f"/v1/tasks/{task['id']}")).json() == task

    async def test_an_unknown_field_is_a_validation_error(self, memory_client: Client) -> None:
        task = await create(memory_client, title="A")
        response = await memory_client.patch(f"/v1/tasks/{task['id']}", json={"priority": 1, "colour": "red"})
        assert field_errors(response) == [("body", "colour")]


class TestTimestamps:
    async def test_updated_at_is_the_time_of_the_last_effective_write(
        self, clocked_client: Client, clock: FixedClock
    ) -> None:
        task = await create(clocked_client, title="A")
        assert task["created_at"] == task["updated_at"] == "2026-01-02T03:04:05.678901Z"
        clock.advance(timedelta(minutes=1))
        patched = (await clocked_client.patch(f"/v1/tasks/{task['id']}", json={"priority": 1})).json()
        assert (patched["created_at"], patched["updated_at"]) == (task["created_at"], "2026-01-02T03:05:05.678901Z")
        clock.advance(timedelta(minutes=1))
        unchanged = (await clocked_client.patch(f"/v1/tasks/{task['id']}", json={"priority": 1})).json()
        assert unchanged["updated_at"] == patched["updated_at"]


class TestDelete:
    async def test_returns_204_with_an_empty_body_and_the_task_is_gone(self, client: Client) -> None:
        task = await create(client, title="A")
        keep = await create(client, title="B")
        response = await client.delete(f"/v1/tasks/{task['id']}")
        assert (response.status_code, response.content) == (204, b"")
        assert "content-type" not in response.headers
        assert_error(await client.get(f"/v1/tasks/{task['id']}"), 404, "task_not_found")
        assert (await everything(client))["items"] == [keep]

    async def test_returns_404_when_the_task_does_not_exist(self, memory_client: Client) -> None:
        response = await memory_client.delete("/v1/tasks/3")
        assert assert_error(response, 404, "task_not_found")["details"] == {"id": 3}

    async def test_frees_the_title_key(self, client: Client) -> None:
        task = await create(client, title="Reuse me")
        await client.delete(f"/v1/tasks/{task['id']}")
        again = await create(client, title="REUSE ME")
        assert again["id"] > task["id"]


def test_a_task_is_encoded_to_the_bytes_litestars_serializer_writes() -> None:
    moment = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)
    for task in (
        Task(
            id=1,
            title='ß 🚀 "q"',
            description=None,
            status=TaskStatus.NEW,
            priority=1,
            created_at=moment,
            updated_at=moment,
            version=1,
        ),
        Task(
            id=2**63 - 1,
            title="t",
            description="d\n",
            status=TaskStatus.COMPLETED,
            priority=5,
            created_at=moment.replace(microsecond=0),
            updated_at=moment,
            version=7,
        ),
    ):
        assert cast(EncodedJson, task_response(task)).body == encode_json(task)


async def test_task_responses_carry_exactly_the_headers_litestar_would_write(client: Client) -> None:
    """The handler-encoded responses (json_response.py) against what Litestar writes itself."""
    created = await client.post("/v1/tasks", json={"title": "Headers", "priority": 2})
    fetched = await client.get(created.headers["location"])
    patched = await client.patch(created.headers["location"], json={"priority": 4})
    for response in (created, fetched, patched):
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-length"] == str(len(response.content))
        assert response.headers.get_list("content-type") == ["application/json"]
    common = ["cache-control", "content-length", "content-type", "referrer-policy", "x-content-type-options"]
    common += ["x-frame-options", "x-request-id"]  # the security headers: test_security_headers.py
    assert sorted(created.headers) == sorted([*common, "location"])
    assert sorted(fetched.headers) == sorted(patched.headers) == common
