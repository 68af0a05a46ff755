"""PATCH /v1/users/{id}: an admin changes anyone but its own role and active flag; a user its own
name and password; a deactivated or demoted user is refused from then on."""

from collections.abc import AsyncIterator

import pytest

from tests.http.envelope import assert_error, field_errors
from tests.http.people import People, people


@pytest.fixture
async def staff() -> AsyncIterator[People]:
    async with people() as made:
        yield made


async def stored(staff: People, user_id: int) -> dict[str, object]:
    user: dict[str, object] = (await staff.client.get(f"/v1/users/{user_id}", headers=staff.admin.as_)).json()
    return user


async def test_an_admin_changes_name_role_and_active_and_updated_at_moves(staff: People) -> None:
    writer = await staff.add("writer")
    changed = await staff.client.patch(
        f"/v1/users/{writer.id}", json={"name": " Wanda ", "role": "reader"}, headers=staff.admin.as_
    )
    assert changed.status_code == 200
    user = changed.json()
    assert (user["name"], user["role"], user["active"]) == ("Wanda", "reader", True)
    assert user["updated_at"] > writer.user["updated_at"]
    assert user["created_at"] == writer.user["created_at"]
    assert await stored(staff, writer.id) == user


async def test_a_demoted_user_is_refused_writes_at_once_and_a_deactivated_one_everything(staff: People) -> None:
    writer = await staff.add("writer")
    await staff.client.patch(f"/v1/users/{writer.id}", json={"role": "reader"}, headers=staff.admin.as_)
    refused = await staff.client.post("/v1/tasks", json={"title": "t", "priority": 1}, headers=writer.as_)
    assert_error(refused, 403, "forbidden")
    await staff.client.patch(f"/v1/users/{writer.id}", json={"active": False}, headers=staff.admin.as_)
    assert_error(await staff.client.get("/v1/users/me", headers=writer.as_), 401, "unauthenticated")


async def test_the_same_values_change_nothing(staff: People) -> None:
    writer = await staff.add("writer")
    same = await staff.client.patch(
        f"/v1/users/{writer.id}", json={"name": "writer", "role": "writer", "active": True}, headers=staff.admin.as_
    )
    assert same.json() == writer.user
    assert await stored(staff, writer.id) == writer.user


@pytest.mark.parametrize("body", [{"role": "writer"}, {"active": False}])
async def test_an_admin_demoting_or_deactivating_itself_is_403_saying_why(
    staff: People, body: dict[str, object]
) -> None:
    before = await stored(staff, 1)
    error = assert_error(await staff.client.patch("/v1/users/1", json=body, headers=staff.admin.as_), 403, "forbidden")
    assert "cannot demote or deactivate itself" in error["message"]
    assert await stored(staff, 1) == before


async def test_a_user_changes_its_own_name_and_password_then_signs_in_with_the_new_one(staff: People) -> None:
    reader = await staff.add("reader")
    changed = await staff.client.patch(
        f"/v1/users/{reader.id}", json={"name": "Rita", "password": "a new long password"}, headers=reader.as_
    )
    assert changed.json()["name"] == "Rita"
    form = {"grant_type": "password", "username": reader.user["email"], "password": "a new long password"}
    assert (await staff.client.post("/v1/auth/token", data=form)).status_code == 200


@pytest.mark.parametrize("body", [{"role": "admin"}, {"active": True}, {"name": "x", "role": "reader"}])
async def test_a_user_sending_role_or_active_is_403_and_nothing_changes(staff: People, body: dict[str, object]) -> None:
    reader = await staff.add("reader")
    assert_error(await staff.client.patch(f"/v1/users/{reader.id}", json=body, headers=reader.as_), 403, "forbidden")
    assert await stored(staff, reader.id) == reader.user


async def test_a_user_changing_another_user_is_403(staff: People) -> None:
    writer, reader = await staff.add("writer"), await staff.add("reader")
    response = await staff.client.patch(f"/v1/users/{reader.id}", json={"name": "Mallory"}, headers=writer.as_)
    assert_error(response, 403, "forbidden")
    assert await stored(staff, reader.id) == reader.user


async def test_bad_patches_are_422_or_404_and_change_nothing(staff: People) -> None:
    reader = await staff.add("reader")
    path = f"/v1/users/{reader.id}"
    assert_error(await staff.client.patch(path, json={}, headers=staff.admin.as_), 422, "empty_update")
    assert field_errors(await staff.client.patch(path, json={"name": None}, headers=staff.admin.as_)) == [
        ("body", "name")
    ]
    assert field_errors(await staff.client.patch(path, json={"email": "b@c"}, headers=staff.admin.as_)) == [
        ("body", "email")
    ]
    assert field_errors(await staff.client.patch(path, json={"password": "short"}, headers=reader.as_)) == [
        ("body", "password")
    ]
    missing = await staff.client.patch("/v1/users/999", json={"name": "N"}, headers=staff.admin.as_)
    assert assert_error(missing, 404, "user_not_found")["details"] == {"id": 999}
    assert await stored(staff, reader.id) == reader.user
