"""The attack table: each hostile credential gets the exact 401 envelope, each reader write the
exact 403, and none of them changes anything. No credential ever reaches a log line."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from structlog.testing import capture_logs

from taskservice.adapters.credentials import JwtCodec
from taskservice.domain.user import Caller, Role
from tests.access.conftest import World
from tests.auth import add_key, add_user, change_user, revoke
from tests.conftest import TEST_JWT_SECRET
from tests.http.envelope import assert_error

WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/tasks", {"title": "intruder", "priority": 1}),
    ("PUT", "/v1/tasks/1", {"title": "intruder", "priority": 1}),
    ("PATCH", "/v1/tasks/1", {"status": "completed"}),
    ("DELETE", "/v1/tasks/1", None),
]
# Refused before any validation: a malformed body or id changes nothing about the answer.
ATTEMPTS: list[tuple[str, str, Any]] = [*WRITES, ("GET", "/v1/tasks", None), ("POST", "/v1/tasks", [1, "x"])]


def token(secret: str, user_id: int, *, issued: datetime | None = None) -> str:
    return JwtCodec(secret, 900).issue(Caller(user_id=user_id, role=Role.ADMIN), issued or datetime.now(UTC)).token


def unsigned(user_id: int) -> str:
    """A JWT with `alg: none`: claims anyone could write, no signature."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(user_id), "role": "admin", "iat": now, "exp": now + 900, "jti": "x"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def tampered(valid: str) -> str:
    """The same token with one character of its signature changed."""
    head, _, signature = valid.rpartition(".")
    return f"{head}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"


async def hostile_headers(world: World) -> dict[str, dict[str, str]]:
    admin = world.users[Role.ADMIN]
    revoked_id, revoked_key = await add_key(world.store, admin.id)
    await revoke(world.store, revoked_id)
    gone, gone_key = await add_user(world.store, Role.ADMIN, email="gone@example.com")
    gone_token = token(TEST_JWT_SECRET, gone.id)
    await change_user(world.store, gone.id, active=False)
    valid = token(TEST_JWT_SECRET, admin.id)
    return {
        "no header": {},
        "Basic": {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="},
        "empty bearer": {"Authorization": "Bearer "},
        "bearer alone": {"Authorization": "Bearer"},
        "two words": {"Authorization": f"Bearer {world.keys[Role.ADMIN]} extra"},
        "10 KB bearer": {"Authorization": "Bearer " + "a" * 10_240},
        "10 KB key": {"Authorization": "Bearer tsk_" + "a" * 10_240},
        "alg none": {"Authorization": f"Bearer {unsigned(admin.id)}"},
        "tampered signature": {"Authorization": f"Bearer {tampered(valid)}"},
        "expired token": {
            "Authorization": f"Bearer {token(TEST_JWT_SECRET, admin.id, issued=datetime.now(UTC) - timedelta(hours=1))}"
        },
        "another secret": {"Authorization": f"Bearer {token('another-secret-' * 4, admin.id)}"},
        "unknown key": {"Authorization": f"Bearer tsk_{'x' * 43}"},
        "revoked key": {"Authorization": f"Bearer {revoked_key}"},
        "deactivated user's key": {"Authorization": f"Bearer {gone_key}"},
        "deactivated user's token": {"Authorization": f"Bearer {gone_token}"},
    }


async def state(world: World) -> tuple[bytes, bytes]:
    """Everything stored: tasks and users."""
    async with world.store.unit_of_work() as work:
        users = await work.users.list(100, 0)
    return msgspec.json.encode(world.store.snapshot()), msgspec.json.encode(users)


@pytest.fixture
async def task(world: World) -> dict[str, Any]:
    created = await world.client.post("/v1/tasks", json={"title": "kept", "priority": 3}, headers=world.as_(Role.ADMIN))
    assert created.status_code == 201
    task: dict[str, Any] = created.json()
    assert task["id"] == 1
    return task


async def test_every_hostile_credential_is_401_and_changes_nothing(world: World, task: dict[str, Any]) -> None:
    hostile = await hostile_headers(world)
    before = await state(world)
    with capture_logs() as logs:
        for name, headers in hostile.items():
            for method, path, body in ATTEMPTS:
                response = await world.client.request(method, path, json=body, headers=headers)
                error = assert_error(response, 401, "unauthenticated")
                assert response.headers["www-authenticate"] == "Bearer", name
                assert error["details"] == {}, name
    assert await state(world) == before
    assert (await world.client.get("/v1/tasks/1", headers=world.as_(Role.READER))).json() == task
    secrets = [h["Authorization"].partition(" ")[2] for h in hostile.values() if h.get("Authorization", "")[7:]]
    lines = [json.dumps(line, default=str) for line in logs]
    assert [s[:40] for s in secrets if any(s[:40] in line for line in lines)] == []


async def test_a_reader_trying_every_write_is_403_and_changes_nothing(world: World, task: dict[str, Any]) -> None:
    before = await state(world)
    for method, path, body in WRITES:
        response = await world.client.request(method, path, json=body, headers=world.as_(Role.READER))
        error = assert_error(response, 403, "forbidden")
        assert error["message"] == "Your role (reader) does not allow this; it needs writer."
        assert "www-authenticate" not in response.headers
    assert await state(world) == before
    assert (await world.client.get("/v1/tasks/1", headers=world.as_(Role.READER))).json() == task


async def test_the_scheme_is_case_insensitive_and_valid_credentials_pass(world: World, task: dict[str, Any]) -> None:
    key = world.keys[Role.READER]
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = await world.client.get("/v1/tasks/1", headers={"Authorization": f"{scheme} {key}"})
        assert response.json() == task
    valid = token(TEST_JWT_SECRET, world.users[Role.READER].id)
    assert (await world.client.get("/v1/tasks/1", headers={"Authorization": f"Bearer {valid}"})).json() == task


async def test_no_credential_reaches_a_log_line_or_another_response(world: World, task: dict[str, Any]) -> None:
    with capture_logs() as logs:
        for role in Role:
            await world.client.get("/v1/tasks", headers=world.as_(role))
            await world.client.get("/v1/nowhere", headers=world.as_(role))
            await world.client.post("/v1/tasks", content=b"{", headers=world.as_(role))
        answer = await world.client.get("/v1/tasks/1", headers=world.as_(Role.ADMIN))
    lines = "\n".join(json.dumps(line, default=str) for line in logs)
    assert logs  # the access lines were captured
    for key in world.keys.values():
        assert key not in lines
        assert key[4:20] not in lines
        assert key not in answer.text


async def test_the_open_routes_need_no_credential(world: World) -> None:
    for path in ("/healthz", "/readyz", "/schema/openapi.json"):
        assert (await world.client.get(path)).status_code == 200, path
    # Unknown routes are 404 for anyone: routing comes first, and says nothing about credentials.
    assert_error(await world.client.get("/v1/nowhere"), 404, "not_found")
    assert (await world.client.options("/v1/tasks")).status_code == 204


async def test_a_password_and_the_secrets_made_from_it_reach_no_log_line_and_no_later_response(world: World) -> None:
    password = "correct horse battery staple"
    admin = world.as_(Role.ADMIN)
    with capture_logs() as logs:
        made = await world.client.post(
            "/v1/users",
            json={"email": "pat@example.com", "name": "Pat", "role": "writer", "password": password},
            headers=admin,
        )
        user = made.json()
        form = {"grant_type": "password", "username": "pat@example.com", "password": password}
        token = (await world.client.post("/v1/auth/token", data=form)).json()["access_token"]
        key = (await world.client.post(f"/v1/users/{user['id']}/api-keys", json={"name": "ci"}, headers=admin)).json()
        later = [
            await world.client.get("/v1/users", headers=admin),
            await world.client.get(f"/v1/users/{user['id']}", headers={"Authorization": f"Bearer {token}"}),
            await world.client.get(f"/v1/users/{user['id']}/api-keys", headers=admin),
        ]
    assert set(user) == {"id", "email", "name", "role", "active", "created_at", "updated_at"}
    lines = "\n".join(json.dumps(line, default=str) for line in logs)
    for secret in (password, token, key["key"], "$argon2id$"):
        assert secret not in lines
        assert all(secret not in answer.text for answer in later)
