"""What the benchmark checks besides speed: samples of every scenario's responses against the
contract and the seeded data, list totals against `count(*)`, and durability after a graceful stop.

The checks talk to the service over HTTP and read only `tasks` in the database, so they hold
whatever the storage keeps beside it (per-status counts, caches).
"""

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

from servers import Server
from stores import Dataset

STATUSES = ("new", "in_progress", "completed")


def http(method: str, server: Server, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any, dict[str, str]]:
    """A request to `server`, with its API key when it has one."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if server.authorization is not None:
        headers["Authorization"] = server.authorization
    request = urllib.request.Request(server.url(path), data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_task_shape(task: dict[str, Any]) -> None:
    expected = {"id", "title", "description", "status", "priority", "created_at", "updated_at", "version"}
    expect(expected <= task.keys(), f"task fields missing: {sorted(expected - task.keys())}")
    expect(task["status"] in STATUSES, f"bad status {task['status']!r}")
    expect(1 <= task["priority"] <= 5, f"bad priority {task['priority']!r}")
    expect(task["created_at"].endswith("Z") and task["updated_at"].endswith("Z"), "timestamps not RFC 3339 UTC")


def sample(name: str, path: str, server: Server, size: int, statuses: dict[str, int]) -> str:
    """Check a sample of scenario `name`'s responses; returns what was checked."""
    if name == "healthz":
        status, body, _ = http("GET", server, ("/healthz"))
        expect(status == 200 and body == {"status": "ok"}, f"healthz answered {status} {body}")
        return "healthz body"
    if name == "get by id":
        for task_id in (1, size // 2, size):
            status, body, _ = http("GET", server, (f"/v1/tasks/{task_id}"))
            expect(status == 200 and body["id"] == task_id, f"GET {task_id} answered {status}")
            check_task_shape(body)
            expect(body["title"] == f"Seeded task {task_id:06d}", f"GET {task_id} title {body['title']!r}")
        status, _, _ = http("GET", server, (f"/v1/tasks/{size * 10}"))
        expect(status == 404, f"GET of a missing id answered {status}")
        return "3 ids match the seed; a missing id is 404"
    if name == "POST":
        title = f"bench sample {uuid.uuid4().hex}"
        status, body, headers = http("POST", server, ("/v1/tasks"), {"title": f"  {title} ", "priority": 2})
        expect(status == 201 and body["title"] == title and body["version"] == 1, f"POST answered {status} {body}")
        expect(headers.get("location") == f"/v1/tasks/{body['id']}", "POST Location header")
        status, again, _ = http("GET", server, (f"/v1/tasks/{body['id']}"))
        expect(status == 200 and again == body, "a created task reads back unchanged")
        status, _, _ = http("POST", server, ("/v1/tasks"), {"title": title.upper(), "priority": 2})
        expect(status == 409, f"a duplicate title key answered {status}")
        return "201 + Location, reads back, duplicate key is 409"
    if name == "PATCH priority":
        task_id = size // 3
        _, before, _ = http("GET", server, (f"/v1/tasks/{task_id}"))
        new_priority = before["priority"] % 5 + 1
        status, body, _ = http("PATCH", server, (f"/v1/tasks/{task_id}"), {"priority": new_priority})
        expect(status == 200 and body["priority"] == new_priority, f"PATCH answered {status} {body}")
        expect(body["version"] == before["version"] + 1 and body["updated_at"] > before["updated_at"], "PATCH bumps")
        expect(body["title"] == before["title"] and body["status"] == before["status"], "PATCH changed other fields")
        _, after, _ = http("GET", server, (f"/v1/tasks/{task_id}"))
        expect(after == body, "a patched task reads back as answered")
        return "priority changes, version and updated_at bump, nothing else changes"
    status, body, _ = http("GET", server, (path))
    expect(status == 200 and len(body["items"]) == 100, f"list answered {status}")
    if name.startswith("list status=new"):
        expect(all(t["status"] == "new" for t in body["items"]), "list returned a task that is not new")
        keys = [(-t["priority"], t["created_at"], t["id"]) for t in body["items"]]
        expect(keys == sorted(keys), "list is not in priority desc, created_at, id order")
        expect(body["total"] == statuses.get("new", 0), f"total {body['total']} != {statuses.get('new')} rows")
        return f"100 new tasks in contract order; total = {body['total']} matches the rows"
    expect(body["offset"] == 5000, f"offset {body['offset']}")
    keys = [t["updated_at"] for t in body["items"]]
    expect(keys == sorted(keys, reverse=True), "page is not in updated_at desc order")
    expect(body["total"] == sum(statuses.values()), f"total {body['total']} != {sum(statuses.values())} rows")
    return f"page of 100 in updated_at desc order; total = {body['total']} matches the rows"


def totals(server: Server, dataset: Dataset) -> tuple[dict[str, int], str | None]:
    """The service's list totals per status (`?status=S&limit=1`) against `count(*)` of the rows."""
    rows = dataset.rows_per_status()
    answered: dict[str, int] = {}
    for status in STATUSES:
        code, body, _ = http("GET", server, (f"/v1/tasks?status={status}&limit=1"))
        answered[status] = body["total"] if code == 200 else -code
    code, body, _ = http("GET", server, ("/v1/tasks?limit=1"))
    everything = body["total"] if code == 200 else -code
    expected = {s: rows.get(s, 0) for s in STATUSES}
    if answered != expected or everything != sum(expected.values()):
        return rows, f"{dataset.name}: list totals {answered} (all {everything}) != count(*) {expected}"
    return rows, None


def durability(dataset: Dataset, before_stop: dict[str, int], acknowledged: int | None) -> tuple[str, str | None]:
    """After the graceful stop: the rows are those the service reported, and every acknowledged create is in."""
    rows = dataset.rows_per_status()
    total = sum(rows.values())
    if rows != before_stop:
        return "", f"{dataset.name}: after the stop the rows are {rows}, before it {before_stop}"
    if acknowledged is None:
        return f"{dataset.name}: list totals match count(*) {dict(sorted(rows.items()))}, unchanged by the stop", None
    # Requests still in flight when wrk stopped may also have been committed: ≥, not ==.
    note = (
        f"{dataset.name}: {total} rows ≥ {dataset.size} seeded + {acknowledged} acknowledged creates "
        "(plus warm-up and sample creates); list totals match count(*)"
    )
    if total < dataset.size + acknowledged:
        return note, f"{dataset.name}: {total} rows < {dataset.size} seeded + {acknowledged} acknowledged creates"
    return note, None
