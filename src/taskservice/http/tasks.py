"""The /tasks routes. Each handler takes typed, strictly checked inputs (http/inputs.py), calls
one use case, and returns a domain value."""

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any, cast

import msgspec
from litestar import HttpMethod, Request, Response, delete, get, patch, post, put, route
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task
from taskservice.domain.user import Caller, Role
from taskservice.http.access import protected
from taskservice.http.inputs import (
    body_providers,
    check_item_request,
    list_query_provider,
    refuse_query_string,
)
from taskservice.http.json_response import EncodedJson
from taskservice.http.openapi import TASK_ID_PARAMETER, contract_operation, error_responses, list_parameters
from taskservice.http.schemas import TaskCreate, TaskPatch
from taskservice.request_context import current_request_id
from taskservice.usecases.tasks import TaskUseCases

# The router takes any segment as the id; check_item_request checks it strictly and hands the
# number to the handler (Litestar's `{task_id:int}` takes `+5` and `1_0`, and answers a
# non-number with 404).
_ITEM = "/tasks/{task_id:str}"


_encode_json = msgspec.json.Encoder().encode
# The request as a handler that records who sees it: its `user` is the authenticated caller.
CallerRequest = Request[Caller, Any, Any]


def task_response(task: Task, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[Task]:
    """The task as JSON: the very bytes Litestar's serializer writes for a `Task` (a test compares
    them), encoded once here and sent as they are.

    Not left to Litestar: its response path cost 21 µs of a GET's 82 µs of CPU (json_response.py
    has the figures). Annotated `Response[Task]`, so that the OpenAPI document still describes it.
    """
    return cast("Response[Task]", EncodedJson(_encode_json(task), status_code, headers))


@contextmanager
def _reporting_title_as_sent(title: str) -> Generator[None]:
    """A 409 names the title exactly as the caller sent it, before trimming."""
    try:
        yield
    except DuplicateTitle:
        raise DuplicateTitle(title) from None


def task_handlers(
    tasks: TaskUseCases, *, location_prefix: str, default_limit: int, max_limit: int, max_body_bytes: int
) -> list[HTTPRouteHandler]:
    """Route handlers bound to `tasks`; `location_prefix` is where the router mounts them."""
    create_body, patch_body = body_providers(max_bytes=max_body_bytes)
    item_operation = contract_operation(parameters=(TASK_ID_PARAMETER,))

    @post(
        "/tasks",
        status_code=201,
        operation_id="createTask",
        before_request=refuse_query_string,
        dependencies={"fields": create_body},
        response_headers=[
            ResponseHeader(name="Location", description="The new task's path.", documentation_only=True, required=True)
        ],
        operation_class=contract_operation(body=TaskCreate),
        responses=error_responses(401, 403, 409, 413, 415, 422, 429, 500, 503),
        description="Create a task. `title` and `priority` are required.",
        **protected(Role.WRITER),
    )
    async def create_task(request: CallerRequest, fields: NamedDependency[TaskCreate]) -> Response[Task]:
        with _reporting_title_as_sent(fields.title):
            task = await tasks.create(fields.to_draft(), request_id=current_request_id(), actor_id=request.user.user_id)
        return task_response(task, status_code=201, headers={"Location": f"{location_prefix}/tasks/{task.id}"})

    @get(
        "/tasks",
        operation_id="listTasks",
        dependencies={"listing": list_query_provider(default_limit=default_limit, max_limit=max_limit)},
        operation_class=contract_operation(
            parameters=list_parameters(default_limit=default_limit, max_limit=max_limit)
        ),
        responses=error_responses(401, 422, 429, 500, 503),
        description="List tasks: filter by status, sort, and page; `total` counts every match.",
        **protected(Role.READER),
    )
    async def list_tasks(listing: NamedDependency[TaskQuery]) -> TaskPage:
        return await tasks.list(listing)

    @get(
        _ITEM,
        operation_id="getTask",
        before_request=check_item_request,
        operation_class=item_operation,
        responses=error_responses(401, 404, 422, 429, 500, 503),
        description="Fetch one task.",
        **protected(Role.READER),
    )
    async def get_task(task_id: FromPath[int]) -> Response[Task]:
        return task_response(await tasks.get(task_id))

    @put(
        _ITEM,
        operation_id="replaceTask",
        before_request=check_item_request,
        dependencies={"fields": create_body},
        operation_class=contract_operation(body=TaskCreate, parameters=(TASK_ID_PARAMETER,)),
        responses=error_responses(401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
        description="Replace a task: fields left out take their create defaults.",
        **protected(Role.WRITER),
    )
    async def replace_task(
        request: CallerRequest, task_id: FromPath[int], fields: NamedDependency[TaskCreate]
    ) -> Response[Task]:
        actor_id = request.user.user_id
        with _reporting_title_as_sent(fields.title):
            return task_response(
                await tasks.replace(task_id, fields.to_draft(), request_id=current_request_id(), actor_id=actor_id)
            )

    @patch(
        _ITEM,
        operation_id="patchTask",
        before_request=check_item_request,
        dependencies={"changes": patch_body},
        # `{}` is refused (empty_update): the schema says so, so that clients and fuzzers know.
        operation_class=contract_operation(
            body=TaskPatch, body_rules={"minProperties": 1}, parameters=(TASK_ID_PARAMETER,)
        ),
        responses=error_responses(401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
        description="Change the fields present; `null` clears `description`; `{}` is `empty_update`.",
        **protected(Role.WRITER),
    )
    async def patch_task(
        request: CallerRequest, task_id: FromPath[int], changes: NamedDependency[TaskPatch]
    ) -> Response[Task]:
        actor_id = request.user.user_id
        if isinstance(changes.title, str):
            with _reporting_title_as_sent(changes.title):
                return task_response(
                    await tasks.patch(task_id, changes.to_changes(), request_id=current_request_id(), actor_id=actor_id)
                )
        return task_response(
            await tasks.patch(task_id, changes.to_changes(), request_id=current_request_id(), actor_id=actor_id)
        )

    @delete(
        _ITEM,
        status_code=204,
        operation_id="deleteTask",
        before_request=check_item_request,
        operation_class=item_operation,
        responses=error_responses(401, 403, 404, 422, 429, 500, 503),
        description="Delete a task.",
        **protected(Role.WRITER),
    )
    async def delete_task(request: CallerRequest, task_id: FromPath[int]) -> None:
        await tasks.delete(task_id, request_id=current_request_id(), actor_id=request.user.user_id)

    handlers = [create_task, list_tasks, get_task, replace_task, patch_task, delete_task]
    # The OPTIONS handlers go first: a path's first handler decides whether Litestar adds its own.
    return [*options_handlers(handlers), *handlers]


def options_handlers(handlers: list[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """An explicit OPTIONS answer per path, listing every method of the path in `Allow`.

    Litestar's automatic OPTIONS handler lists only the methods of the handlers registered on
    the path before it was created (litestar#4169): `OPTIONS /tasks` answered `Allow: OPTIONS, POST`.
    HEAD is added beside GET by http/middleware.py, which answers it for every GET route.
    """
    methods: dict[str, set[str]] = {}
    for handler in handlers:
        for path in handler.paths:
            methods.setdefault(path, {HttpMethod.OPTIONS.value}).update(handler.http_methods)
    return [_options_handler(path, ", ".join(sorted(allowed))) for path, allowed in methods.items()]


def _options_handler(path: str, allow: str) -> HTTPRouteHandler:
    @route(path, http_method=[HttpMethod.OPTIONS], status_code=204, include_in_schema=False)
    async def options() -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": allow})

    return options
