"""Who may call what: the bearer authentication middleware, which also checks every route's rule.

Authentication is Litestar's `AbstractAuthenticationMiddleware`: on every route but the open ones
it reads `Authorization: Bearer <credential>`, asks the authenticator, and puts the `Caller` in
`request.user`. It runs before the handler reads its path, query or body, so an unauthenticated
request is a 401 whatever else is wrong with it; its errors go through the app's exception
handlers (errors.py: the envelope, `WWW-Authenticate: Bearer`).

Each route handler declares its rule with `**protected(Role.WRITER)` (or `SELF`): the rule in its
`opt`, which the same middleware checks once the caller is known (`check_rule`: 403), and the
bearer scheme in its OpenAPI `security`, so the document and the enforcement cannot disagree. A
protected route without a rule is refused to everyone (and the route × role test fails), so a
new route cannot be left open by forgetting. Once the caller is known, the same middleware spends
its `RATE_LIMIT` (limits/caller.py: 429).
"""

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Literal

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import SecurityScheme
from litestar.types import ASGIApp, Receive, Scope, Send

from taskservice.domain.errors import Forbidden, Unauthenticated
from taskservice.domain.user import Caller, Role
from taskservice.http.limits.caller import CallerLimit

ACCESS: Final = "access"
# Any authenticated caller passes the route's check; the use case then allows an admin or the user itself.
SELF: Final = "self"
AccessRule = Role | Literal["self"]
_RANK: Final = {Role.READER: 0, Role.WRITER: 1, Role.ADMIN: 2}
_SCHEME: Final = "bearer"
# One regex scan: a generator over the credential's characters cost ~14 µs per request.
_WHITESPACE: Final = re.compile(r"\s")

Authenticate = Callable[[str], Awaitable[Caller]]


# The OpenAPI security scheme: Swagger's "Authorize" takes an API key or an access token as is.
BEARER_SCHEME: Final = "bearer"
BEARER_SECURITY_SCHEME: Final = SecurityScheme(
    type="http",
    scheme="bearer",
    description="An API key (`tsk_…`) or an access token from `POST /v1/auth/token`.",
)


def access(rule: AccessRule) -> dict[str, Any]:
    """A route handler's `opt` for its rule: the least role it needs, or SELF."""
    return {ACCESS: rule}


def protected(rule: AccessRule) -> dict[str, Any]:
    """The route decorator's arguments of a protected route: `@get(..., **protected(Role.READER))`."""
    return {"opt": access(rule), "security": [{BEARER_SCHEME: []}]}


def rule_of(handler: BaseRouteHandler) -> AccessRule | None:
    rule: AccessRule | None = handler.opt.get(ACCESS)
    return rule


def open_paths(api_prefix: str) -> list[str]:
    """Path patterns that need no credential: the probes, the API docs, the metrics (their own
    token) and sign-in. Anchored: `/healthzz` or `/v1/auth/tokens` are not open."""
    return [
        r"^/healthz$",
        r"^/readyz$",
        r"^/schema(/|$)",
        r"^/metrics$",
        rf"^{re.escape(api_prefix)}/auth/token$",
    ]


def bearer_credential(header: str | None, max_length: int) -> str:
    """The credential of an `Authorization` header: exactly `Bearer <credential>` (the scheme in
    any case), no longer than `max_length`. Anything else is refused before any store is asked."""
    if not header:
        raise Unauthenticated("A bearer credential is required (Authorization: Bearer <credential>).")
    scheme, _, credential = header.partition(" ")
    if (
        scheme.lower() != _SCHEME
        or not credential
        or len(credential) > max_length
        or _WHITESPACE.search(credential) is not None
    ):
        raise Unauthenticated("The Authorization header must be `Bearer <credential>` with a valid credential.")
    return credential


class BearerAuthentication(AbstractAuthenticationMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Authenticate,
        max_length: int,
        exclude: list[str],
        limit: CallerLimit | None = None,
    ) -> None:
        super().__init__(app, exclude=exclude, scopes={ScopeType.HTTP})
        self._authenticate = authenticate
        self._max_length = max_length
        self._limit = limit
        # The same patterns Litestar compiled into `self.exclude` (typed loosely there).
        self._open = re.compile("|".join(exclude) or r"(?!)")  # none: matches nothing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar's own `__call__`, without its generic bypass check and the `ASGIConnection` it
        # builds per request; then the caller's rate limit, spent here rather than in a middleware
        # layer of its own (limits/caller.py says what that layer cost).
        if scope["type"] == "http" and scope["method"] != "OPTIONS" and not self._open.match(scope["path"]):
            caller = await self._caller(scope)
            scope["user"] = caller
            # `auth` says how, never the secret itself: nothing downstream can log it by accident.
            scope["auth"] = "api_key" if caller.key_id is not None else "token"
            if self._limit is not None:
                send = await self._limit.spend(caller, send)
        await self.app(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        """The base class's abstract hook, kept for its contract; `__call__` above does not use it."""
        caller = await self._caller(connection.scope)
        return AuthenticationResult(user=caller, auth="api_key" if caller.key_id is not None else "token")

    async def _caller(self, scope: Scope) -> Caller:
        # The raw header, not `connection.headers`: that parses every header of the request.
        header = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        credential = bearer_credential(header.decode("latin-1") if header is not None else None, self._max_length)
        caller = await self._authenticate(credential)
        check_rule(caller, scope["route_handler"])
        return caller


def check_rule(caller: Caller, handler: BaseRouteHandler) -> None:
    """The route's rule against the caller's role (403); "self" rules are the use cases' to decide.

    Here rather than in a Litestar guard: the router has already put the route handler in the
    scope, and a guard costs a copy of the handler per request (Litestar's `authorize_connection`)
    and, as a plain function, a worker thread (docs/performance.md)."""
    rule = rule_of(handler)
    if rule is None:
        raise Forbidden("This route has no access rule, so no one may call it.")
    if rule != SELF and _RANK[caller.role] < _RANK[rule]:
        raise Forbidden(f"Your role ({caller.role.value}) does not allow this; it needs {rule.value}.")


def authentication(
    authenticate: Authenticate, *, max_length: int, open_patterns: Sequence[str], limit: CallerLimit | None = None
) -> DefineMiddleware:
    """The middleware that authenticates every request to a route not in `open_patterns`, checks
    the route's rule, and spends the caller's `limit` (None: no limit)."""
    return DefineMiddleware(
        BearerAuthentication,
        authenticate=authenticate,
        max_length=max_length,
        exclude=list(open_patterns),
        limit=limit,
    )
