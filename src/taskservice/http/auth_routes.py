"""POST /auth/token: the OAuth2 password grant (RFC 6749 §4.3), open to anyone.

OAuth2 clients send a form body (`grant_type=password&username=…&password=…`); a JSON body
`{"username", "password"}` is taken too. Errors keep this service's envelope rather than
RFC 6749 §5.2's `{"error": "invalid_grant"}`: a wrong email or password is `401
invalid_credentials`, a missing field or another grant type `422 validation_error` naming it.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from litestar import Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody

from taskservice.http.errors import UnsupportedMediaType
from taskservice.http.inputs import refuse_query_string
from taskservice.http.openapi import inline_schema
from taskservice.http.schemas import read_body
from taskservice.http.user_openapi import user_errors
from taskservice.http.user_schemas import FORM_TYPE, TokenForm, TokenJson, TokenResponse, parse_token_form
from taskservice.usecases.sign_in import SignIn

AnyRequest = Request[Any, Any, Any]
# Counts one sign-in attempt of (client address, username) and returns headers for the answer;
# raises to refuse it (the rate limits' sign-in limiter: 429 before any password is checked).
SignInLimit = Callable[[str | None, str], Awaitable[dict[str, str]]]
# RFC 6749 §5.1: a token response must not be stored by any cache.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class TokenOperation(Operation):
    """Documents both bodies the route takes (Litestar sees none: the body is read by a dependency)."""

    _bodies: ClassVar[dict[str, Any]] = {FORM_TYPE: TokenForm, "application/json": TokenJson}

    def __post_init__(self) -> None:
        if self.responses is not None:
            self.responses.pop("400", None)
        self.request_body = RequestBody(
            required=True,
            content={media: OpenAPIMediaType(schema=inline_schema(body)) for media, body in self._bodies.items()},
        )


def _is_form(request: AnyRequest) -> bool:
    content_type = request.headers.get("content-type") or ""
    return content_type.split(";", 1)[0].strip().lower() == FORM_TYPE


def token_handlers(sign_in: SignIn, *, max_body_bytes: int, limit: SignInLimit | None = None) -> list[HTTPRouteHandler]:
    async def credentials(request: AnyRequest) -> tuple[str, str]:
        """(email, password) from either body: a form, or JSON (read strictly, like every JSON body)."""
        if _is_form(request):
            form = parse_token_form(await request.body())  # Litestar refuses a body over the app's limit (413)
            return form.username, form.password
        try:
            body = await read_body(request, TokenJson, max_bytes=max_body_bytes)
        except UnsupportedMediaType as error:
            raise UnsupportedMediaType(error.content_type, f"a form ({FORM_TYPE}) or JSON (application/json)") from None
        return body.username, body.password

    @post(
        "/auth/token",
        status_code=200,
        operation_id="issueToken",
        tags=["users"],
        before_request=refuse_query_string,
        dependencies={"given": Provide(credentials)},
        operation_class=TokenOperation,
        responses=user_errors(401, 413, 415, 422, sign_in=True),
        description="Sign in with an email and a password for a bearer access token (OAuth2 password grant: "
        f"a `{FORM_TYPE}` body, or JSON). A wrong email or password is `401 invalid_credentials`, one answer "
        "for both.",
    )
    async def issue_token(request: AnyRequest, given: NamedDependency[tuple[str, str]]) -> Response[TokenResponse]:
        email, password = given
        headers = dict(_NO_STORE)
        if limit is not None:
            headers.update(await limit(request.client.host if request.client else None, email))
        token = await sign_in.sign_in(email, password)
        return Response(TokenResponse(access_token=token.token, expires_in=token.expires_in), headers=headers)

    return [issue_token]
