"""/v1/users through the real app, its authentication and guard: shapes, who may do what, errors."""

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.accounts import PASSWORD
from tests.http.envelope import assert_error, field_errors
from tests.http.people import People, people

USER_FIELDS = {"id", "email", "name", "role", "active", "created_at", "updated_at"}


@pytest.fixture
async def staff() -> AsyncIterator[People]:
    async with people() as made:
        yield made


async def all_users(staff: People) -> list[dict[str, object]]:
    listed = await staff.client.get("/v1/users", headers=staff.admin.as_)
    items: list[dict[str, object]] = listed.json()["items"]
    return items


async def test_an_admin_creates_a_user_201_with_exactly_the_user_fields_and_its_location(staff: People) -> None:
    created = await staff.client.post(
        "/v1/users",
        json={"email": " Ada@Example.com ", "name": " Ada ", "role": "writer", "password": PASSWORD},
        headers=staff.admin.as_,
    )
    assert created.status_code == 201
    user = created.json()
    assert set(user) == USER_FIELDS
    assert (user["email"], user["name"], user["role"], user["active"]) == ("Ada@Example.com", "Ada", "writer", True)
    assert user["created_at"] == user["updated_at"]
    assert user["created_at"].endswith("Z")
    assert datetime.fromisoformat(user["created_at"])
    assert created.headers["location"] == f"/v1/users/{user['id']}"
    assert (await staff.client.get(created.headers["location"], headers=staff.admin.as_)).json() == user
    assert PASSWORD not in created.text


async def test_an_email_taken_in_another_case_is_409_duplicate_user_and_nothing_is_added(staff: People) -> None:
    await staff.add("reader", email="ada@example.com")
    before = await all_users(staff)
    again = await staff.client.post(
        "/v1/users", json={"email": "ADA@example.com", "name": "Ada", "role": "admin"}, headers=staff.admin.as_
    )
    assert assert_error(again, 409, "duplicate_user")["details"] == {"email": "ADA@example.com"}
    assert await all_users(staff) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "no-at-sign", "name": "N", "role": "reader"}, "email"),
        ({"email": "a@b@c", "name": "N", "role": "reader"}, "email"),
        ({"email": "a@b", "name": "  ", "role": "reader"}, "name"),
        ({"email": "a@b", "name": "N", "role": "owner"}, "role"),
        ({"email": "a@b", "name": "N", "role": "reader", "password": "too short"}, "password"),
        ({"email": "a@b", "name": "N", "role": "reader", "active": False}, "active"),
        ({"email": "a@b", "name": "N"}, "role"),
    ],
)
async def test_a_bad_create_is_422_naming_the_field_and_adds_nobody(
    staff: People, body: dict[str, object], field: str
) -> None:
    response = await staff.client.post("/v1/users", json=body, headers=staff.admin.as_)
    assert field_errors(response) == [("body", field)]
    assert len(await all_users(staff)) == 1


async def test_a_server_owned_field_in_a_create_is_read_only_field(staff: People) -> None:
    response = await staff.client.post(
        "/v1/users", json={"id": 9, "email": "a@b", "name": "N", "role": "reader"}, headers=staff.admin.as_
    )
    assert assert_error(response, 422, "read_only_field")["details"] == {"field": "id"}


@pytest.mark.parametrize("role", ["reader", "writer"])
async def test_only_an_admin_creates_or_lists_users_and_the_body_is_not_even_read(staff: People, role: str) -> None:
    someone = await staff.add(role)
    assert_error(await staff.client.post("/v1/users", content=b"{not json", headers=someone.as_), 403, "forbidden")
    assert_error(await staff.client.get("/v1/users", headers=someone.as_), 403, "forbidden")
    assert len(await all_users(staff)) == 2


async def test_no_credential_is_401_on_every_users_route_whatever_the_request(staff: People) -> None:
    for method, path in [
        ("POST", "/v1/users"),
        ("GET", "/v1/users?limit=0"),
        ("GET", "/v1/users/me"),
        ("GET", "/v1/users/abc"),
        ("PATCH", "/v1/users/1"),
        ("POST", "/v1/users/1/api-keys"),
        ("GET", "/v1/users/1/api-keys"),
        ("DELETE", "/v1/api-keys/1"),
    ]:
        response = await staff.client.request(method, path, content=b"{broken")
        assert_error(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_listing_is_ordered_by_id_paged_with_the_total_and_strict_about_its_query(staff: People) -> None:
    for role in ("reader", "writer", "admin"):
        await staff.add(role)
    page = (await staff.client.get("/v1/users?limit=2&offset=1", headers=staff.admin.as_)).json()
    assert [u["id"] for u in page["items"]] == [2, 3]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert all(set(user) == USER_FIELDS for user in page["items"])
    bad = await staff.client.get("/v1/users?limit=0&offset=-1&order_by=id", headers=staff.admin.as_)
    assert sorted(field_errors(bad)) == [("query", "limit"), ("query", "offset"), ("query", "order_by")]


async def test_me_is_the_caller_for_every_role(staff: People) -> None:
    for role in ("reader", "writer", "admin"):
        person = await staff.add(role)
        assert (await staff.client.get("/v1/users/me", headers=person.as_)).json() == person.user


async def test_a_user_reads_itself_but_another_user_is_403_whether_or_not_it_exists(staff: People) -> None:
    reader = await staff.add("reader")
    assert (await staff.client.get(f"/v1/users/{reader.id}", headers=reader.as_)).json() == reader.user
    for other in (1, 999):
        assert_error(await staff.client.get(f"/v1/users/{other}", headers=reader.as_), 403, "forbidden")
    missing = await staff.client.get("/v1/users/999", headers=staff.admin.as_)
    assert assert_error(missing, 404, "user_not_found")["details"] == {"id": 999}
    assert field_errors(await staff.client.get("/v1/users/0", headers=staff.admin.as_)) == [("path", "user_id")]
