"""The /tasks routes. Each handler decodes, calls one use case, and returns a domain value."""

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any, cast

import msgspec
from litestar import HttpMethod, Request, Response, delete, get, patch, post, put, route
from litestar.datastructures import ResponseHeader
from litestar.handlers import HTTPRouteHandler

from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskPage
from taskservice.domain.task import Task
from taskservice.http.json_response import EncodedJson
from taskservice.http.openapi import TASK_ID_PARAMETER, contract_operation, error_responses, list_parameters
from taskservice.http.params import parse_list_query, parse_task_id, refuse_query
from taskservice.http.schemas import TaskCreate, TaskPatch, read_body
from taskservice.request_context import current_request_id
from taskservice.usecases.tasks import TaskUseCases

AnyRequest = Request[Any, Any, Any]
_ITEM = "/tasks/{task_id:str}"


@contextmanager
def _reporting_title_as_sent(title: str) -> Generator[None]:
    """A 409 names the title exactly as the caller sent it, before trimming."""
    try:
        yield
    except DuplicateTitle:
        raise DuplicateTitle(title) from None


_encode_json = msgspec.json.Encoder().encode


def task_response(task: Task, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[Task]:
    """The task as JSON: the very bytes Litestar's serializer writes for a `Task` (a test compares
    them), encoded once here and sent as they are (json_response.py)."""
    return cast("Response[Task]", EncodedJson(_encode_json(task), status_code, headers))


def _refuse_query(request: AnyRequest) -> None:
    # Most requests carry no query string; parsing an empty one still costs a request's microseconds.
    if request.scope["query_string"]:
        refuse_query(request.query_params.multi_items())


def _item_id(request: AnyRequest) -> int:
    """The checked task id of an item route; a query string is refused after it.

    Read from the path parameters the router has already split out, not declared in the
    handler's signature: Litestar would pass it through its signature model (msgspec.convert
    to the `str` it already is, ~1.7 % of a GET's instructions) before parse_task_id checks it.
    The OpenAPI document still names it (openapi.TASK_ID_PARAMETER; a test compares).
    """
    task_id = parse_task_id(request.path_params["task_id"])
    _refuse_query(request)
    return task_id


def task_handlers(
    tasks: TaskUseCases, *, location_prefix: str, default_limit: int, max_limit: int, max_body_bytes: int
) -> list[HTTPRouteHandler]:
    """Route handlers bound to `tasks`; `location_prefix` is where the router mounts them."""
    item_operation = contract_operation(parameters=(TASK_ID_PARAMETER,))

    @post(
        "/tasks",
        status_code=201,
        operation_id="createTask",
        response_headers=[
            ResponseHeader(name="Location", description="The new task's path.", documentation_only=True, required=True)
        ],
        operation_class=contract_operation(body=TaskCreate),
        responses=error_responses(409, 413, 415, 422, 500, 503),
        description="Create a task. `title` and `priority` are required.",
    )
    async def create_task(request: AnyRequest) -> Response[Task]:
        _refuse_query(request)
        body = await read_body(request, TaskCreate, max_bytes=max_body_bytes)
        with _reporting_title_as_sent(body.title):
            task = await tasks.create(body.to_draft(), request_id=current_request_id())
        return task_response(task, status_code=201, headers={"Location": f"{location_prefix}/tasks/{task.id}"})

    @get(
        "/tasks",
        operation_id="listTasks",
        operation_class=contract_operation(
            parameters=list_parameters(default_limit=default_limit, max_limit=max_limit)
        ),
        responses=error_responses(422, 500, 503),
        description="List tasks: filter by status, sort, and page; `total` counts every match.",
    )
    async def list_tasks(request: AnyRequest) -> TaskPage:
        query = parse_list_query(request.query_params.multi_items(), default_limit=default_limit, max_limit=max_limit)
        return await tasks.list(query)

    @get(
        _ITEM,
        operation_id="getTask",
        operation_class=item_operation,
        responses=error_responses(404, 422, 500, 503),
        description="Fetch one task.",
    )
    async def get_task(request: AnyRequest) -> Response[Task]:
        parsed_id = _item_id(request)
        return task_response(await tasks.get(parsed_id))

    @put(
        _ITEM,
        operation_id="replaceTask",
        operation_class=contract_operation(body=TaskCreate, parameters=(TASK_ID_PARAMETER,)),
        responses=error_responses(404, 409, 413, 415, 422, 500, 503),
        description="Replace a task: fields left out take their create defaults.",
    )
    async def replace_task(request: AnyRequest) -> Response[Task]:
        parsed_id = _item_id(request)
        body = await read_body(request, TaskCreate, max_bytes=max_body_bytes)
        with _reporting_title_as_sent(body.title):
            return task_response(await tasks.replace(parsed_id, body.to_draft(), request_id=current_request_id()))

    @patch(
        _ITEM,
        operation_id="patchTask",
        # `{}` is refused (empty_update): the schema says so, so that clients and fuzzers know.
        operation_class=contract_operation(
            body=TaskPatch, body_rules={"minProperties": 1}, parameters=(TASK_ID_PARAMETER,)
        ),
        responses=error_responses(404, 409, 413, 415, 422, 500, 503),
        description="Change the fields present; `null` clears `description`; `{}` is `empty_update`.",
    )
    async def patch_task(request: AnyRequest) -> Response[Task]:
        parsed_id = _item_id(request)
        body = await read_body(request, TaskPatch, max_bytes=max_body_bytes)
        if isinstance(body.title, str):
            with _reporting_title_as_sent(body.title):
                return task_response(await tasks.patch(parsed_id, body.to_changes(), request_id=current_request_id()))
        return task_response(await tasks.patch(parsed_id, body.to_changes(), request_id=current_request_id()))

    @delete(
        _ITEM,
        status_code=204,
        operation_id="deleteTask",
        operation_class=item_operation,
        responses=error_responses(404, 422, 500, 503),
        description="Delete a task.",
    )
    async def delete_task(request: AnyRequest) -> None:
        parsed_id = _item_id(request)
        await tasks.delete(parsed_id, request_id=current_request_id())

    handlers = [create_task, list_tasks, get_task, replace_task, patch_task, delete_task]
    # The OPTIONS handlers go first: a path's first handler decides whether Litestar adds its own.
    return [*_options_handlers(handlers), *handlers]


def _options_handlers(handlers: list[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """An explicit OPTIONS answer per path, listing every method of the path in `Allow`.

    Litestar's automatic OPTIONS handler lists only the methods of the handlers registered on
    the path before it was created (litestar#4169): `OPTIONS /tasks` answered `Allow: OPTIONS, POST`.
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
