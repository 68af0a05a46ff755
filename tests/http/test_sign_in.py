"""POST /v1/auth/token: the OAuth2 password grant (form) and its JSON twin; open to anyone; one
answer for every failed sign-in."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.accounts import PASSWORD
from tests.http.envelope import assert_error, field_errors
from tests.http.people import People, people

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def staff() -> AsyncIterator[People]:
    async with people(ACCESS_TOKEN_TTL="600") as made:
        yield made


def form(username: str, password: str = PASSWORD, grant_type: str = "password") -> dict[str, str]:
    return {"grant_type": grant_type, "username": username, "password": password}


async def test_the_form_grant_gives_a_bearer_token_not_to_be_stored_that_authenticates(staff: People) -> None:
    writer = await staff.add("writer")
    response = await staff.client.post("/v1/auth/token", data=form(writer.user["email"]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 600)
    assert response.headers["cache-control"] == "no-store"
    as_token = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await staff.client.get("/v1/users/me", headers=as_token)).json() == writer.user
    created = await staff.client.post("/v1/tasks", json={"title": "t", "priority": 1}, headers=as_token)
    assert created.status_code == 201


async def test_a_json_body_works_too_and_the_email_is_matched_case_insensitively(staff: People) -> None:
    reader = await staff.add("reader", email="rita@example.com")
    response = await staff.client.post("/v1/auth/token", json={"username": " RITA@example.com", "password": PASSWORD})
    token = response.json()["access_token"]
    me = await staff.client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == reader.user


async def test_every_failed_sign_in_is_the_same_401_invalid_credentials(staff: People) -> None:
    await staff.add("reader", email="r@example.com")
    await staff.add("reader", email="keys-only@example.com", password=None)
    gone = await staff.add("writer", email="gone@example.com")
    await staff.client.patch(f"/v1/users/{gone.id}", json={"active": False}, headers=staff.admin.as_)
    answers: set[tuple[int, str, str]] = set()
    for username, password in [
        ("nobody@example.com", PASSWORD),
        ("r@example.com", "not the password"),
        ("keys-only@example.com", PASSWORD),
        ("gone@example.com", PASSWORD),
        ("admin@localhost", ""),
    ]:
        response = await staff.client.post("/v1/auth/token", data=form(username, password))
        error = assert_error(response, 401, "invalid_credentials")
        answers.add((response.status_code, error["message"], repr(error["details"])))
    assert len(answers) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("username=a%40b&password=x", [("body", "grant_type")]),
        ("grant_type=client_credentials&username=a%40b&password=x", [("body", "grant_type")]),
        ("grant_type=password&password=x", [("body", "username")]),
        ("grant_type=password&username=a&username=b&password=x", [("body", "username")]),
        ("grant_type=password&username=a&password=x&role=admin", [("body", "role")]),
        ("", [("body", "grant_type"), ("body", "username"), ("body", "password")]),
        ("%ff=1", [("body", "")]),
    ],
)
async def test_a_malformed_form_is_422_naming_the_field(
    staff: People, body: str, fields: list[tuple[str, str]]
) -> None:
    response = await staff.client.post("/v1/auth/token", content=body.encode(), headers={"content-type": FORM})
    assert sorted(field_errors(response)) == sorted(fields)


@pytest.mark.parametrize(
    "body", [{"username": "a@b"}, {"username": "a@b", "password": 1}, {"username": "a", "password": "b", "x": 1}]
)
async def test_a_malformed_json_body_is_422(staff: People, body: dict[str, Any]) -> None:
    assert_error(await staff.client.post("/v1/auth/token", json=body), 422, "validation_error")


async def test_other_media_types_a_query_string_and_oversized_bodies_are_refused(staff: People) -> None:
    plain = await staff.client.post("/v1/auth/token", content=b"x", headers={"content-type": "text/plain"})
    error = assert_error(plain, 415, "unsupported_media_type")
    assert error["message"] == (
        "The request body must be a form (application/x-www-form-urlencoded) or JSON (application/json)."
    )
    query = await staff.client.post("/v1/auth/token?username=a", data=form("a@b"))
    assert field_errors(query) == [("query", "username")]
    huge = await staff.client.post("/v1/auth/token", content=b"a" * 70_000, headers={"content-type": FORM})
    assert_error(huge, 413, "payload_too_large")


async def test_a_credential_sent_to_the_open_token_route_is_not_needed_nor_checked(staff: People) -> None:
    admin = await staff.add("admin", email="boss@example.com")
    response = await staff.client.post(
        "/v1/auth/token", data=form("boss@example.com"), headers={"Authorization": "Bearer tsk_revoked-or-junk"}
    )
    assert response.status_code == 200
    assert admin.id > 1
