"""The OpenAPI document states the users' field rules exactly as the domain enforces them (checked
with jsonschema-rs, the engine schemathesis uses, against the document the app serves)."""

from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from taskservice.domain.errors import InvalidField
from taskservice.domain.user import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, check_email, check_key_name, check_name
from tests.auth import admin_sync_client
from tests.conftest import make_settings

# Around the rules' edges: whitespace Python and ECMA-262 disagree on, NUL, `@`, astral characters.
_EDGE = st.sampled_from(["\x1c", "\x85", "\xa0", "\u2028", "\ufeff", "\x00", " ", "@", "a", "é", "🚀"])
_TEXT = st.text(alphabet=st.one_of(_EDGE, st.characters(exclude_categories=("Cs",))), max_size=NAME_MAX_LENGTH + 4)


@pytest.fixture(scope="module")
def bodies() -> dict[str, dict[str, Any]]:
    with admin_sync_client(make_settings(DATABASE_URL="memory://")) as client:
        document = client.get("/schema/openapi.json").json()
    operations = {op["operationId"]: op for path in document["paths"].values() for op in path.values()}
    return {
        name: operations[name]["requestBody"]["content"]["application/json"]["schema"]["properties"]
        for name in ("createUser", "patchUser", "createApiKey")
    }


def accepted(rule: Callable[[str], str], value: str) -> bool:
    try:
        rule(value)
    except InvalidField:
        return False
    return True


@given(email=st.one_of(_TEXT, st.emails(), st.emails().map(lambda e: f" {e}\u3000")))
@example(email="a@b")
@example(email="a@@b")
@example(email="\x85a@b\x1c")
@example(email="a\ufeff@b")
@example(email="a@" + "b" * (EMAIL_MAX_LENGTH - 2))
@example(email="a@" + "b" * (EMAIL_MAX_LENGTH - 1))
def test_the_documented_email_schema_accepts_exactly_the_emails_the_app_accepts(
    bodies: dict[str, dict[str, Any]], email: str
) -> None:
    validator = jsonschema_rs.validator_for(bodies["createUser"]["email"])
    assert validator.is_valid(email) == (len(email) <= EMAIL_MAX_LENGTH and accepted(check_email, email))


@given(name=_TEXT)
@example(name=" " + "é" * NAME_MAX_LENGTH + "\n")
@example(name="x" * (NAME_MAX_LENGTH + 1))
@example(name="\ufeff")
def test_the_documented_name_schemas_accept_exactly_the_names_the_app_accepts(
    bodies: dict[str, dict[str, Any]], name: str
) -> None:
    for schema in (bodies["createUser"]["name"], bodies["patchUser"]["name"]):
        assert jsonschema_rs.validator_for(schema).is_valid(name) == accepted(check_name, name)
    key_name = jsonschema_rs.validator_for(bodies["createApiKey"]["name"])
    assert key_name.is_valid(name) == accepted(check_key_name, name)
