"""The OpenAPI document states the same body rules the app enforces, checked by the same JSON
Schema engine schemathesis uses (jsonschema-rs) against the document the app serves."""

from typing import Any

import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from taskservice.domain.errors import InvalidField
from taskservice.domain.task import TITLE_MAX_LENGTH, normalize_title
from tests.auth import admin_sync_client
from tests.conftest import make_settings

# Characters around the edges of the rules: Python whitespace that ECMA-262 does not know and
# the reverse (U+001C, U+0085, U+FEFF), NUL, combining marks, emoji, astral characters.
_EDGE = st.sampled_from(["\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\ufeff", "\u200b", "\x00", "\u0301", "🚀", " "])
_TEXT = st.text(
    alphabet=st.one_of(_EDGE, st.characters(exclude_categories=("Cs",))),
    max_size=TITLE_MAX_LENGTH + 4,
)


@pytest.fixture(scope="module")
def body_schemas() -> dict[str, Any]:
    with admin_sync_client(make_settings(DATABASE_URL="memory://")) as client:
        document = client.get("/schema/openapi.json").json()
    operations = {op["operationId"]: op for path in document["paths"].values() for op in path.values()}
    return {
        name: operations[name]["requestBody"]["content"]["application/json"]["schema"]
        for name in ("createTask", "replaceTask", "patchTask")
    }


def _accepted_by_domain(title: str) -> bool:
    try:
        normalize_title(title)
    except InvalidField:
        return False
    return True


@given(title=_TEXT)
@example(title=" " + "é" * TITLE_MAX_LENGTH + "\n")
@example(title="e\u0301" * (TITLE_MAX_LENGTH // 2))
@example(title="x" * (TITLE_MAX_LENGTH + 1))
@example(title="\ufeff")
@example(title="\x1c")
def test_the_documented_title_pattern_accepts_exactly_the_titles_the_app_accepts(
    body_schemas: dict[str, Any], title: str
) -> None:
    validator = jsonschema_rs.validator_for(body_schemas["createTask"]["properties"]["title"])
    assert validator.is_valid(title) == _accepted_by_domain(title)


@given(description=st.text(alphabet=_EDGE, max_size=3))
def test_the_documented_description_schema_refuses_exactly_nul(body_schemas: dict[str, Any], description: str) -> None:
    schema = body_schemas["createTask"]["properties"]["description"]
    assert jsonschema_rs.validator_for(schema).is_valid(description) == ("\x00" not in description)


def test_an_empty_patch_is_documented_as_invalid(body_schemas: dict[str, Any]) -> None:
    validator = jsonschema_rs.validator_for(body_schemas["patchTask"])
    assert not validator.is_valid({})
    assert validator.is_valid({"description": None})
