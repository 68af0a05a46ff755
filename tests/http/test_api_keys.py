"""A user's API keys over HTTP: made (the secret shown once), listed without it, used, revoked."""

from collections.abc import AsyncIterator

import pytest

from tests.http.envelope import assert_error, field_errors
from tests.http.people import People, people

KEY_FIELDS = {"id", "name", "prefix", "key", "created_at", "last_used_at"}


@pytest.fixture
async def staff() -> AsyncIterator[People]:
    async with people() as made:
        yield made


async def test_a_user_makes_a_key_201_shown_once_and_the_key_authenticates_it(staff: People) -> None:
    reader = await staff.add("reader")
    created = await staff.client.post(f"/v1/users/{reader.id}/api-keys", json={"name": " laptop "}, headers=reader.as_)
    assert created.status_code == 201
    key = created.json()
    assert set(key) == KEY_FIELDS
    assert (key["name"], key["last_used_at"]) == ("laptop", None)
    assert key["key"].startswith("tsk_")
    assert key["key"].startswith(key["prefix"])
    assert len(key["key"]) >= 4 + 32
    assert created.headers["location"] == f"/v1/api-keys/{key['id']}"
    me = await staff.client.get("/v1/users/me", headers={"Authorization": f"Bearer {key['key']}"})
    assert me.json() == reader.user


async def test_listing_shows_every_key_without_its_secret_and_records_use(staff: People) -> None:
    reader = await staff.add("reader")
    second = (
        await staff.client.post(f"/v1/users/{reader.id}/api-keys", json={"name": "ci"}, headers=reader.as_)
    ).json()
    await staff.client.get("/v1/users/me", headers={"Authorization": f"Bearer {second['key']}"})
    for caller in (reader, staff.admin):
        listed = await staff.client.get(f"/v1/users/{reader.id}/api-keys", headers=caller.as_)
        items = listed.json()["items"]
        assert [k["name"] for k in items] == ["t", "ci"]
        assert all(set(k) == KEY_FIELDS - {"key"} for k in items)
        assert second["key"] not in listed.text
        assert reader.key not in listed.text
        assert items[1]["last_used_at"] is not None


async def test_another_users_keys_are_403_to_make_or_list_for_a_non_admin(staff: People) -> None:
    writer, reader = await staff.add("writer"), await staff.add("reader")
    path = f"/v1/users/{reader.id}/api-keys"
    assert_error(await staff.client.post(path, json={"name": "x"}, headers=writer.as_), 403, "forbidden")
    assert_error(await staff.client.get(path, headers=writer.as_), 403, "forbidden")
    assert len((await staff.client.get(path, headers=staff.admin.as_)).json()["items"]) == 1


async def test_bad_key_requests_are_422_or_404(staff: People) -> None:
    assert field_errors(await staff.client.post("/v1/users/1/api-keys", json={}, headers=staff.admin.as_)) == [
        ("body", "name")
    ]
    assert field_errors(
        await staff.client.post("/v1/users/1/api-keys", json={"name": " "}, headers=staff.admin.as_)
    ) == [("body", "name")]
    missing = await staff.client.post("/v1/users/999/api-keys", json={"name": "x"}, headers=staff.admin.as_)
    assert assert_error(missing, 404, "user_not_found")["details"] == {"id": 999}
    assert_error(await staff.client.get("/v1/users/999/api-keys", headers=staff.admin.as_), 404, "user_not_found")
    assert field_errors(await staff.client.delete("/v1/api-keys/x", headers=staff.admin.as_)) == [("path", "key_id")]


async def test_a_revoked_key_is_refused_from_then_on_and_revoking_again_is_404(staff: People) -> None:
    reader = await staff.add("reader")
    spare = (await staff.client.post(f"/v1/users/{reader.id}/api-keys", json={"name": "s"}, headers=reader.as_)).json()
    revoked = await staff.client.delete(f"/v1/api-keys/{spare['id']}", headers=reader.as_)
    assert (revoked.status_code, revoked.content) == (204, b"")
    spare_header = {"Authorization": f"Bearer {spare['key']}"}
    assert_error(await staff.client.get("/v1/users/me", headers=spare_header), 401, "unauthenticated")
    again = await staff.client.delete(f"/v1/api-keys/{spare['id']}", headers=reader.as_)
    assert assert_error(again, 404, "api_key_not_found")["details"] == {"id": spare["id"]}
    assert (await staff.client.get("/v1/users/me", headers=reader.as_)).status_code == 200


async def test_another_users_key_is_not_found_for_a_non_admin_exactly_as_a_missing_one(staff: People) -> None:
    writer, reader = await staff.add("writer"), await staff.add("reader")
    [readers_key] = (await staff.client.get(f"/v1/users/{reader.id}/api-keys", headers=reader.as_)).json()["items"]
    theirs = assert_error(
        await staff.client.delete(f"/v1/api-keys/{readers_key['id']}", headers=writer.as_), 404, "api_key_not_found"
    )
    missing = assert_error(await staff.client.delete("/v1/api-keys/999", headers=writer.as_), 404, "api_key_not_found")
    assert theirs["message"].replace(str(readers_key["id"]), "N") == missing["message"].replace("999", "N")
    assert (await staff.client.get("/v1/users/me", headers=reader.as_)).status_code == 200
    assert (await staff.client.delete(f"/v1/api-keys/{readers_key['id']}", headers=staff.admin.as_)).status_code == 204
    assert_error(await staff.client.get("/v1/users/me", headers=reader.as_), 401, "unauthenticated")
