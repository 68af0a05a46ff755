"""Stateful property test: random sequences of HTTP calls against the real app, checked step by step
against the reference model in `tests/property/model.py`.

Each example starts a fresh app (the same `create_app` the server uses, with a clock the machine
moves) on an empty store and drives it through Litestar's synchronous TestClient: Hypothesis
state machines are synchronous, and the TestClient runs the app on a portal thread.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final

import httpx
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from taskservice.adapters.memory import MemoryTaskRepository
from taskservice.domain.task import Task
from taskservice.ports.unit_of_work import Store
from tests.fakes import store_with
from tests.property.model import TASK_FIELDS, ReferenceModel, WireTask, instant
from tests.strategies import create_bodies, invalid_titles, list_queries, patch_bodies
from tests.sync_client import open_client

DEFAULT_LIMIT: Final = 100


class SteppingClock:
    """A wall clock the machine moves: it may stand still (ties) or jump back (NTP, a VM restore)."""

    def __init__(self) -> None:
        self.current = datetime(2030, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


class Backend:
    """Where the app under test keeps its tasks; `store` replaces the one settings would build."""

    def __init__(self, kind: str, database_url: str, store: Callable[[], Store] | None = None) -> None:
        self.kind = kind
        self.database_url = database_url
        self.store = store


class TaskServiceMachine(RuleBasedStateMachine):
    backend: ClassVar[Backend]

    def __init__(self) -> None:
        super().__init__()
        self.clock = SteppingClock()
        store = self.backend.store() if self.backend.store else None
        self.client = open_client(self.backend.kind, self.backend.database_url, clock=self.clock, store=store)
        self.model = ReferenceModel()

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)

    # --- checks shared by every step -------------------------------------------------------------

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        assert response.status_code < 500, response.text
        request_id = response.headers.get("x-request-id")
        assert request_id, "every response carries X-Request-ID"
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/json")
            error = response.json()["error"]
            assert set(error) == {"code", "message", "details", "request_id"}
            assert error["request_id"] == request_id
        return response

    def expect_error(self, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code, response.text
        details: dict[str, Any] = response.json()["error"]["details"]
        return details

    @staticmethod
    def check_task(task: WireTask) -> None:
        assert set(task) == TASK_FIELDS
        assert instant(task["created_at"]) <= instant(task["updated_at"])

    def check_written(self, before: WireTask, after: WireTask, expected: dict[str, Any]) -> None:
        """A write either changed something (new updated_at, version + 1) or changed nothing at all."""
        self.check_task(after)
        assert {name: after[name] for name in expected} == expected
        assert (after["id"], after["created_at"]) == (before["id"], before["created_at"])
        if all(before[name] == value for name, value in expected.items()):
            assert after == before, "a write of equal values changes nothing, not even timestamps"
        else:
            assert instant(after["updated_at"]) > instant(before["updated_at"])
            assert after["version"] == before["version"] + 1

    def pick_id(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(self.model.candidate_ids()), label="task_id")

    def unchanged(self) -> None:
        """The store holds exactly what the model holds (after a refused write, for instance)."""
        page = self.call("GET", "/v1/tasks", params={"limit": "500", "order_by": "created_at"}).json()
        assert page["total"] == len(self.model.tasks)
        assert {t["id"]: t for t in page["items"]} == self.model.tasks

    # --- rules -------------------------------------------------------------------------------------

    @rule(body=create_bodies())
    def create(self, body: dict[str, Any]) -> None:
        response = self.call("POST", "/v1/tasks", json=body)
        if self.model.holder_of(body["title"]) is not None:
            assert self.expect_error(response, 409, "duplicate_task") == {"title": body["title"]}
            return
        assert response.status_code == 201, response.text
        task: WireTask = response.json()
        self.check_task(task)
        assert task["id"] not in self.model.ids_seen, "ids are never reused"
        assert response.headers["location"] == f"/v1/tasks/{task['id']}"
        assert task == {
            "id": task["id"],
            "title": body["title"].strip(),
            "description": body.get("description"),
            "status": body.get("status", "new"),
            "priority": body["priority"],
            "created_at": task["created_at"],
            "updated_at": task["created_at"],
            "version": 1,
            # One caller throughout: every task is created and changed by the same user.
            "created_by": task["created_by"],
            "updated_by": task["created_by"],
        }
        assert isinstance(task["created_by"], int)
        self.model.tasks[task["id"]] = task
        self.model.ids_seen.add(task["id"])

    @rule(title=invalid_titles, priority=st.integers(1, 5))
    def create_with_invalid_title(self, title: str, priority: int) -> None:
        response = self.call("POST", "/v1/tasks", json={"title": title, "priority": priority})
        details = self.expect_error(response, 422, "validation_error")
        assert [(e["source"], e["field"]) for e in details["errors"]] == [("body", "title")]
        self.unchanged()

    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        task_id = self.pick_id(data)
        response = self.call("GET", f"/v1/tasks/{task_id}")
        if task_id not in self.model.tasks:
            assert self.expect_error(response, 404, "task_not_found") == {"id": task_id}
            return
        assert response.status_code == 200
        assert response.json() == self.model.tasks[task_id]

    @rule(data=st.data(), body=create_bodies())
    def put(self, data: st.DataObject, body: dict[str, Any]) -> None:
        task_id = self.pick_id(data)
        response = self.call("PUT", f"/v1/tasks/{task_id}", json=body)
        current = self.model.tasks.get(task_id)
        if current is None:
            assert self.expect_error(response, 404, "task_not_found") == {"id": task_id}
            return
        if self.model.holder_of(body["title"]) not in (None, task_id):
            assert self.expect_error(response, 409, "duplicate_task") == {"title": body["title"]}
            self.unchanged()
            return
        assert response.status_code == 200, response.text
        replaced = {"description": None, "status": "new", **body}
        self.check_written(current, response.json(), self.model.expected_after_write(current, replaced))
        self.model.tasks[task_id] = response.json()

    @rule(data=st.data(), body=patch_bodies())
    def patch(self, data: st.DataObject, body: dict[str, Any]) -> None:
        task_id = self.pick_id(data)
        response = self.call("PATCH", f"/v1/tasks/{task_id}", json=body)
        current = self.model.tasks.get(task_id)
        if not body:
            # The body is checked before the task is looked up.
            self.expect_error(response, 422, "empty_update")
            return
        if current is None:
            assert self.expect_error(response, 404, "task_not_found") == {"id": task_id}
            return
        if "title" in body and self.model.holder_of(body["title"]) not in (None, task_id):
            assert self.expect_error(response, 409, "duplicate_task") == {"title": body["title"]}
            self.unchanged()
            return
        assert response.status_code == 200, response.text
        self.check_written(current, response.json(), self.model.expected_after_write(current, body))
        self.model.tasks[task_id] = response.json()

    @precondition(lambda self: bool(self.model.tasks))  # pyright: ignore[reportUnknownLambdaType, reportUnknownMemberType, reportUnknownArgumentType]
    @rule(data=st.data())
    def repeat_current_values(self, data: st.DataObject) -> None:
        """Writing back what is stored (PUT, or PATCH of a subset) is a 200 that changes nothing."""
        task_id = data.draw(st.sampled_from(sorted(self.model.tasks)), label="task_id")
        current = self.model.tasks[task_id]
        writable = {name: current[name] for name in ("title", "description", "status", "priority")}
        if data.draw(st.booleans(), label="use_put"):
            response = self.call("PUT", f"/v1/tasks/{task_id}", json=writable)
        else:
            names = data.draw(st.sets(st.sampled_from(sorted(writable)), min_size=1), label="fields")
            response = self.call("PATCH", f"/v1/tasks/{task_id}", json={n: writable[n] for n in names})
        assert response.status_code == 200, response.text
        assert response.json() == current

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        task_id = self.pick_id(data)
        response = self.call("DELETE", f"/v1/tasks/{task_id}")
        if task_id not in self.model.tasks:
            assert self.expect_error(response, 404, "task_not_found") == {"id": task_id}
            return
        assert response.status_code == 204
        assert response.content == b""
        del self.model.tasks[task_id]

    @rule(query=list_queries())
    def list_page(self, query: list[tuple[str, str]]) -> None:
        response = self.call("GET", "/v1/tasks", params=query)
        assert response.status_code == 200, response.text
        assert response.json() == self.model.page(query, default_limit=DEFAULT_LIMIT)

    @rule(step=st.sampled_from([0, 0, 1, 250_000, -1, -3_600_000_000]))
    def move_clock(self, step: int) -> None:
        """Microseconds; zero makes timestamps tie, negative is a wall clock going backwards."""
        self.clock.current += timedelta(microseconds=step)

    @rule()
    def list_everything(self) -> None:
        self.unchanged()


# Examples per store: PostgreSQL round-trips cost most, so it gets fewer.
EXAMPLE_SHARE: Final = {"memory": 1.0, "sqlite": 1.0, "postgres": 0.4}


# A failure shrinks for up to Hypothesis's own 5-minute cap; let it finish and print the example.
@pytest.mark.timeout(600)
def test_service_matches_the_reference_model(store_kind: str, database_url: str) -> None:
    backend = Backend(store_kind, database_url)
    machine = type(f"TaskServiceOn{store_kind.title()}", (TaskServiceMachine,), {"backend": backend})
    examples = max(5, round(settings().max_examples * EXAMPLE_SHARE[store_kind]))
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=examples, stateful_step_count=30),
    )


class ForgetsDeletes(MemoryTaskRepository):
    """A wrong store: it acknowledges a delete and keeps the task."""

    async def remove(self, task_id: int) -> Task | None:
        return await self.get(task_id)


def test_the_machine_fails_on_a_store_that_forgets_deletes() -> None:
    """The check above can fail: a plausible bug is caught within a few examples."""
    forgetful = Backend("memory", "memory://", lambda: store_with(ForgetsDeletes))
    machine = type("OnForgetfulStore", (TaskServiceMachine,), {"backend": forgetful})
    quiet = settings(max_examples=100, stateful_step_count=30, derandomize=True, database=None, phases=[Phase.generate])
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=quiet)
