"""Every route of the built app, from its own route table, against every role.

Each (method, path) is either open (the probes, the API docs, sign-in, the metrics, OPTIONS) or
declares a rule (http/access.py); a route added without one fails here. The expected rules are
§9 of the contract, written out: a route whose declared rule differs fails too. Each role then
tries each protected route for real: below its rule it gets `403 forbidden`, at or above it
anything but 401/403.
"""

import re
from typing import Any

import pytest
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from taskservice.domain.user import Role
from taskservice.http.access import SELF, AccessRule, open_paths, rule_of
from tests.access.conftest import World
from tests.auth import add_key
from tests.http.envelope import assert_error

OPEN = re.compile("|".join(open_paths("/v1")))
_RANK = {Role.READER: 0, Role.WRITER: 1, Role.ADMIN: 2}

# §9: reader may GET tasks (events, history); writer may change tasks; admin everything; users
# and keys are the admin's, or the user's own (decided by the use case: SELF).
EXPECTED: dict[tuple[str, str], AccessRule] = {
    ("GET", "/v1/tasks"): Role.READER,
    ("POST", "/v1/tasks"): Role.WRITER,
    ("GET", "/v1/tasks/{task_id}"): Role.READER,
    ("PUT", "/v1/tasks/{task_id}"): Role.WRITER,
    ("PATCH", "/v1/tasks/{task_id}"): Role.WRITER,
    ("DELETE", "/v1/tasks/{task_id}"): Role.WRITER,
    ("GET", "/v1/tasks/{task_id}/history"): Role.READER,
    ("GET", "/v1/events"): Role.READER,
    ("GET", "/v1/events/stream"): Role.READER,
    ("GET", "/v1/users/me"): Role.READER,
    ("POST", "/v1/users"): Role.ADMIN,
    ("GET", "/v1/users"): Role.ADMIN,
    ("GET", "/v1/users/{user_id}"): SELF,
    ("PATCH", "/v1/users/{user_id}"): SELF,
    ("POST", "/v1/users/{user_id}/api-keys"): SELF,
    ("GET", "/v1/users/{user_id}/api-keys"): SELF,
    ("DELETE", "/v1/api-keys/{key_id}"): SELF,
}
# Valid requests, so that an allowed caller gets a 2xx (a route not listed gets `{}`).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/tasks"): {"title": "made by {role}", "priority": 1},
    ("PUT", "/v1/tasks/{task_id}"): {"title": "replaced by {role}", "priority": 2},
    ("PATCH", "/v1/tasks/{task_id}"): {"priority": 4},
    ("POST", "/v1/users"): {"email": "made-by-{role}@example.com", "name": "Made", "role": "reader"},
    ("PATCH", "/v1/users/{user_id}"): {"name": "renamed by {role}"},
    ("POST", "/v1/users/{user_id}/api-keys"): {"name": "made by {role}"},
}


def template(path: str) -> str:
    """`/v1/tasks/{task_id:str}` → `/v1/tasks/{task_id}`."""
    return re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path)


def route_table(world: World) -> list[tuple[str, str, HTTPRouteHandler]]:
    table: list[tuple[str, str, HTTPRouteHandler]] = []
    for route in world.litestar.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            table.extend((method, template(route.path), handler) for method in sorted(handler.http_methods))
    return table


def is_open(method: str, path: str) -> bool:
    return method == "OPTIONS" or bool(OPEN.search(path))


async def test_every_route_is_open_or_has_the_contracts_rule(world: World) -> None:
    table = route_table(world)
    assert {(m, p) for m, p, _ in table} >= {("GET", "/v1/tasks"), ("GET", "/healthz")}  # the table is read
    open_with_rule = [(m, p) for m, p, h in table if is_open(m, p) and rule_of(h) is not None]
    assert open_with_rule == [], "open routes that declare a rule: one of the two is wrong"
    missing = [(m, p) for m, p, h in table if not is_open(m, p) and rule_of(h) is None]
    assert missing == [], "routes without an access rule (http/access.py: protected(...))"
    unexpected = [(m, p) for m, p, _ in table if not is_open(m, p) and (m, p) not in EXPECTED]
    assert unexpected == [], "routes the contract's rule table (EXPECTED) does not know"
    wrong = {(m, p): rule_of(h) for m, p, h in table if (m, p) in EXPECTED and rule_of(h) != EXPECTED[(m, p)]}
    assert wrong == {}


async def concrete(world: World, path: str, role: Role, task_id: int) -> str:
    """The path with the new task's id, the caller's own user id, and a spare key of the caller
    (revoking it leaves the caller's own key working for the rest of the test)."""
    user = world.users[role]
    key_id = (await add_key(world.store, user.id))[0] if "{key_id}" in path else 0
    return path.format(task_id=task_id, user_id=user.id, key_id=key_id)


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_gets_what_its_rule_allows_on_every_protected_route(world: World, role: Role) -> None:
    for method, path, handler in route_table(world):
        if is_open(method, path):
            continue
        created = await world.client.post(
            "/v1/tasks", json={"title": f"{method} {path}", "priority": 1}, headers=world.as_(Role.ADMIN)
        )
        task_id = created.json()["id"]
        if path.endswith("/stream"):
            continue  # a stream never ends: the rule check above covers it
        body = {
            k: v.format(role=role.value) if isinstance(v, str) else v for k, v in BODIES.get((method, path), {}).items()
        }
        url = await concrete(world, path, role, task_id)
        response = await world.client.request(
            method, url, json=body if method in ("POST", "PUT", "PATCH") else None, headers=world.as_(role)
        )
        rule = rule_of(handler)
        assert rule is not None
        if rule != SELF and _RANK[role] < _RANK[rule]:
            assert_error(response, 403, "forbidden")
        else:
            assert response.status_code not in (401, 403), (method, url, response.text)
            # The task and users routes get valid requests (BODIES, the caller's own ids): 2xx.
            if path.startswith(("/v1/tasks", "/v1/users", "/v1/api-keys")):
                assert response.status_code < 300, (method, url, response.text)
