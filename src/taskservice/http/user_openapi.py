"""OpenAPI details of the users, API-key and token routes: path ids, paging, and their errors
with examples in their own words (http/openapi.py documents the task routes' errors)."""

from typing import Any, Final

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIType, Parameter, Schema

from taskservice.http.errors import ErrorEnvelope
from taskservice.http.openapi import error_responses
from taskservice.http.params import MAX_ID


def _id_parameter(name: str, what: str) -> Parameter:
    return Parameter(
        name=name,
        param_in="path",
        required=True,
        description=f"The {what}'s id: a positive 64-bit integer.",
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_ID),
    )


USER_ID: Final = _id_parameter("user_id", "user")
KEY_ID: Final = _id_parameter("key_id", "API key")


def page_parameters(*, default_limit: int, max_limit: int) -> tuple[Parameter, ...]:
    return (
        Parameter(
            name="limit",
            param_in="query",
            schema=Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=max_limit, default=default_limit),
        ),
        Parameter(
            name="offset",
            param_in="query",
            schema=Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=MAX_ID, default=0),
        ),
    )


_Documented = tuple[str, list[tuple[str, str, dict[str, Any]]]]
_INVALID_CREDENTIALS: Final[_Documented] = (
    "`invalid_credentials`: the email or the password is wrong (one answer for both).",
    [("invalid_credentials", "The email or password is wrong.", {})],
)
_OWN: Final[dict[int, _Documented]] = {
    404: (
        "`user_not_found` or `api_key_not_found` (details.id), or `not_found`.",
        [
            ("user_not_found", "No user with id 7.", {"id": 7}),
            ("api_key_not_found", "No API key with id 7.", {"id": 7}),
        ],
    ),
    409: (
        "`duplicate_user`: a user has this email, compared case-insensitively (details.email).",
        [("duplicate_user", "A user with this email already exists.", {"email": "ada@example.com"})],
    ),
}


def user_errors(*statuses: int, sign_in: bool = False) -> dict[int, ResponseSpec]:
    """The error responses of a route here, with 429 (every route here is rate limited), 500 and
    503 as every database route has them. A 401 is `unauthenticated` (http/openapi.py), or with
    `sign_in` `invalid_credentials`."""
    own = {**_OWN, 401: _INVALID_CREDENTIALS} if sign_in else _OWN
    specs = error_responses(*(s for s in (*statuses, 429, 500, 503) if s not in own))
    for status in statuses:
        if status in own:
            description, examples = own[status]
            specs[status] = ResponseSpec(
                data_container=ErrorEnvelope,
                description=description,
                generate_examples=False,
                examples=[_example(*example) for example in examples],
            )
    return dict(sorted(specs.items()))


def _example(code: str, message: str, details: dict[str, Any]) -> Example:
    request_id = "3f0c9a52-6d1e-4c1b-9a43-0d6f8e2b7a15"
    return Example(
        summary=code,
        value={"error": {"code": code, "message": message, "details": details, "request_id": request_id}},
    )
