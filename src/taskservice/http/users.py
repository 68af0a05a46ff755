"""The /users and /api-keys routes. Each takes the authenticated `Caller` (request.user, set by
the authentication middleware) and strictly checked inputs, and calls one use case, which decides
"admin, or the user itself". The route-level minimum (admin for creating and listing users) is
each handler's access rule, enforced by the app's guard before the body is read."""

from collections.abc import Callable, Coroutine
from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from taskservice.domain.errors import Unauthenticated
from taskservice.domain.user import Caller, Role, User, UserPage
from taskservice.http.access import SELF, protected
from taskservice.http.inputs import refuse_query_string
from taskservice.http.openapi import contract_operation
from taskservice.http.params import parse_page_query, parse_path_id
from taskservice.http.schemas import read_body
from taskservice.http.tasks import options_handlers
from taskservice.http.user_openapi import KEY_ID, USER_ID, page_parameters, user_errors
from taskservice.http.user_schemas import CreatedKey, KeyCreate, KeyList, KeyView, UserCreate, UserPatch
from taskservice.usecases.api_keys import ApiKeyUseCases
from taskservice.usecases.users import UserUseCases

AnyRequest = Request[Any, Any, Any]


Hook = Callable[[AnyRequest], Coroutine[Any, Any, None]]


def current_caller(request: Request[Caller, Any, Any]) -> Caller:
    """The dependency `caller`: whom the authentication middleware let in."""
    caller: object = request.user if "user" in request.scope else None
    if not isinstance(caller, Caller):  # only if a route were left outside authentication
        raise Unauthenticated()
    return caller


def checked_ids(*names: str) -> Hook:
    """`before_request`: each path id strictly (http/params.parse_path_id), then no query string."""

    async def check(request: AnyRequest) -> None:
        scope = request.scope
        params = dict(scope["path_params"])  # a new dict: the router may share one per path
        for name in names:
            params[name] = str(parse_path_id(params[name], name))
        scope["path_params"] = params
        await refuse_query_string(request)

    return check


def _body(struct: type[Any], max_bytes: int) -> Provide:
    async def body(request: AnyRequest) -> Any:
        return await read_body(request, struct, max_bytes=max_bytes)

    return Provide(body)


def _location(description: str) -> list[ResponseHeader]:
    return [ResponseHeader(name="Location", description=description, documentation_only=True, required=True)]


def user_handlers(
    users: UserUseCases,
    api_keys: ApiKeyUseCases,
    *,
    location_prefix: str,
    default_limit: int,
    max_limit: int,
    max_body_bytes: int,
) -> list[HTTPRouteHandler]:
    """Route handlers bound to the use cases; `location_prefix` is where the router mounts them."""
    caller_dependency = {"caller": Provide(current_caller, sync_to_thread=False)}

    def page(request: AnyRequest) -> tuple[int, int]:
        return parse_page_query(request.query_params.multi_items(), default_limit=default_limit, max_limit=max_limit)

    @post(
        "/users",
        status_code=201,
        operation_id="createUser",
        **protected(Role.ADMIN),
        before_request=refuse_query_string,
        dependencies={**caller_dependency, "fields": _body(UserCreate, max_body_bytes)},
        response_headers=_location("The new user's path."),
        operation_class=contract_operation(body=UserCreate),
        responses=user_errors(401, 403, 409, 413, 415, 422),
        description="Create a user (admin). Without `password` it signs in only with API keys.",
    )
    async def create_user(caller: NamedDependency[Caller], fields: NamedDependency[UserCreate]) -> Response[User]:
        user = await users.create(caller, fields.to_new_user())
        return Response(user, status_code=201, headers={"Location": f"{location_prefix}/users/{user.id}"})

    @get(
        "/users",
        operation_id="listUsers",
        **protected(Role.ADMIN),
        dependencies={**caller_dependency, "paging": Provide(page, sync_to_thread=False)},
        operation_class=contract_operation(
            parameters=page_parameters(default_limit=default_limit, max_limit=max_limit)
        ),
        responses=user_errors(401, 403, 422),
        description="List users ordered by id (admin); `total` counts them all.",
    )
    async def list_users(caller: NamedDependency[Caller], paging: NamedDependency[tuple[int, int]]) -> UserPage:
        return await users.list(caller, *paging)

    @get(
        "/users/me",
        operation_id="getCurrentUser",
        **protected(Role.READER),
        before_request=refuse_query_string,
        dependencies=caller_dependency,
        responses=user_errors(401, 422),
        description="The caller itself.",
    )
    async def get_me(caller: NamedDependency[Caller]) -> User:
        return await users.get(caller, caller.user_id)

    @get(
        "/users/{user_id:str}",
        operation_id="getUser",
        **protected(SELF),
        before_request=checked_ids("user_id"),
        dependencies=caller_dependency,
        operation_class=contract_operation(parameters=(USER_ID,)),
        responses=user_errors(401, 403, 404, 422),
        description="One user: an admin reads anyone, a user itself.",
    )
    async def get_user(caller: NamedDependency[Caller], user_id: FromPath[int]) -> User:
        return await users.get(caller, user_id)

    @patch(
        "/users/{user_id:str}",
        operation_id="patchUser",
        **protected(SELF),
        before_request=checked_ids("user_id"),
        dependencies={**caller_dependency, "changes": _body(UserPatch, max_body_bytes)},
        operation_class=contract_operation(body=UserPatch, body_rules={"minProperties": 1}, parameters=(USER_ID,)),
        responses=user_errors(401, 403, 404, 413, 415, 422),
        description="Change the fields present. An admin: `name`, `role`, `active`, `password` (but cannot "
        "demote or deactivate itself: 403); the user itself: `name`, `password`. `{}` is `empty_update`.",
    )
    async def patch_user(
        caller: NamedDependency[Caller], user_id: FromPath[int], changes: NamedDependency[UserPatch]
    ) -> User:
        return await users.patch(caller, user_id, changes.to_update())

    @post(
        "/users/{user_id:str}/api-keys",
        status_code=201,
        operation_id="createApiKey",
        **protected(SELF),
        before_request=checked_ids("user_id"),
        dependencies={**caller_dependency, "fields": _body(KeyCreate, max_body_bytes)},
        response_headers=_location("The key's path (to revoke it)."),
        operation_class=contract_operation(body=KeyCreate, parameters=(USER_ID,)),
        responses=user_errors(401, 403, 404, 413, 415, 422),
        description="A new API key of the user (admin, or the user itself). `key` is shown in this response only.",
    )
    async def create_key(
        caller: NamedDependency[Caller], user_id: FromPath[int], fields: NamedDependency[KeyCreate]
    ) -> Response[CreatedKey]:
        issued = await api_keys.create(caller, user_id, fields.name)
        key = issued.key
        created = CreatedKey(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            key=issued.secret,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )
        return Response(created, status_code=201, headers={"Location": f"{location_prefix}/api-keys/{key.id}"})

    @get(
        "/users/{user_id:str}/api-keys",
        operation_id="listApiKeys",
        **protected(SELF),
        before_request=checked_ids("user_id"),
        dependencies=caller_dependency,
        operation_class=contract_operation(parameters=(USER_ID,)),
        responses=user_errors(401, 403, 404, 422),
        description="The user's keys, ordered by id, without their secrets (admin, or the user itself).",
    )
    async def list_keys(caller: NamedDependency[Caller], user_id: FromPath[int]) -> KeyList:
        return KeyList(items=[KeyView.of(key) for key in await api_keys.list(caller, user_id)])

    @delete(
        "/api-keys/{key_id:str}",
        status_code=204,
        operation_id="revokeApiKey",
        **protected(SELF),
        before_request=checked_ids("key_id"),
        dependencies=caller_dependency,
        operation_class=contract_operation(parameters=(KEY_ID,)),
        responses=user_errors(401, 404, 422),
        description="Revoke a key (admin, or the key's user): it is refused from then on. Another user's key "
        "is `api_key_not_found` to a caller who is not admin.",
    )
    async def revoke_key(caller: NamedDependency[Caller], key_id: FromPath[int]) -> None:
        await api_keys.revoke(caller, key_id)

    handlers = [create_user, list_users, get_me, get_user, patch_user, create_key, list_keys, revoke_key]
    # First, as in http/tasks.py: Litestar's own OPTIONS answer would list only some methods.
    return [*options_handlers(handlers), *handlers]
