"""Schema-driven fuzzing: schemathesis generates requests from the app's own /schema/openapi.json
and runs every check it has on each response (no 5xx, response schema and status code
conformance, content type, headers, negative-data rejection, positive-data acceptance, the Allow
header on 405 and OPTIONS, ...). Nothing is excluded: where a check failed, the app or the schema
was fixed.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case

from tests.auth import admin_app, bearer
from tests.conftest import make_settings
from tests.schema.conftest import MIN_CI_CASES, cases_by_operation

# Hypothesis examples per operation; schemathesis's coverage phase adds deterministic edge cases.
EXAMPLES = 200 if os.environ.get("CI") else 20

# The schema is loaded from the running app (schemathesis runs its lifespan); the in-memory store
# keeps the fuzzing fast, and the SQL stores are driven by the state machine in tests/property.
# Every request carries an admin's key: the fuzzing is of what the caller may do.
_app, _key = admin_app(make_settings(DATABASE_URL="memory://"))
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _app)


@schema.auth()  # pyright: ignore[reportUnknownMemberType, reportUntypedClassDecorator]
class AdminKey:
    """Schemathesis's own auth hook: it then knows the credential is the caller's, and does not
    count a case whose Authorization it dropped (as negative data) as accepted."""

    def get(self, case: Case[Any], context: Any) -> str:  # noqa: ARG002 - the hook's signature
        return _key

    def set(self, case: Case[Any], data: str, context: Any) -> None:  # noqa: ARG002 - the hook's signature
        # Case.headers is a read-only property in the stubs; schemathesis's own hooks assign it.
        case.headers = {**(case.headers or {}), **bearer(data)}  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


@pytest.fixture(scope="module", autouse=True)
def _enough_cases_in_ci() -> Iterator[None]:
    yield
    total = sum(cases_by_operation.values())
    if os.environ.get("CI") and total < MIN_CI_CASES:
        pytest.fail(f"only {total} schemathesis cases; CI wants at least {MIN_CI_CASES}")


@schema.parametrize()  # pyright: ignore[reportUnknownMemberType, reportUntypedFunctionDecorator]
@settings(max_examples=EXAMPLES)
def test_every_response_matches_the_documented_schema(case: Case[Any]) -> None:
    cases_by_operation[f"{case.method} {case.path}"] += 1
    case.call_and_validate()  # pyright: ignore[reportUnknownMemberType]
