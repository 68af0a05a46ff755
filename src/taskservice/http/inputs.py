"""What the task handlers take, checked strictly and in the documented order before they run.

Litestar's own parsing is lenient (see http/params.py and http/schemas.py), so:
- the `before_request` hooks check the path id (http/params.parse_task_id) and put it back in
  its canonical digits among the path parameters, for Litestar to convert into the handler's
  `task_id: FromPath[int]` (msgspec's conversion refuses `007`, which names task 7); then they
  refuse any query string;
- the body providers (Litestar dependencies) read and decode the body strictly with
  http/schemas.read_body (media type, then size, then shape);
- the list provider builds a `TaskQuery` from the raw query (http/params.parse_list_query).

The order is the contract's: path, query, media type, size, body shape.
"""

from typing import Any

from litestar import Request
from litestar.di import Provide

from taskservice.domain.listing import TaskQuery
from taskservice.http.params import parse_list_query, parse_task_id, refuse_query
from taskservice.http.schemas import TaskCreate, TaskPatch, read_body

AnyRequest = Request[Any, Any, Any]


async def refuse_query_string(request: AnyRequest) -> None:
    """`before_request` of POST /tasks: it takes no query parameters.

    Hooks are coroutines: Litestar runs a plain function hook in a worker thread.
    """
    # Most requests carry no query string; parsing an empty one still costs microseconds.
    if request.scope["query_string"]:
        refuse_query(request.query_params.multi_items())


async def check_item_request(request: AnyRequest) -> None:
    """`before_request` of the item routes: the path id, then no query parameters."""
    scope = request.scope
    task_id = str(parse_task_id(scope["path_params"]["task_id"]))
    # A new dict: the router may hand the same one to every request of this path.
    scope["path_params"] = {**scope["path_params"], "task_id": task_id}
    await refuse_query_string(request)


def body_providers(*, max_bytes: int) -> tuple[Provide, Provide]:
    """Dependencies giving the strictly decoded body of POST/PUT (`TaskCreate`) and PATCH (`TaskPatch`)."""

    async def task_create_body(request: AnyRequest) -> TaskCreate:
        return await read_body(request, TaskCreate, max_bytes=max_bytes)

    async def task_patch_body(request: AnyRequest) -> TaskPatch:
        return await read_body(request, TaskPatch, max_bytes=max_bytes)

    return Provide(task_create_body), Provide(task_patch_body)


def list_query_provider(*, default_limit: int, max_limit: int) -> Provide:
    def list_query(request: AnyRequest) -> TaskQuery:
        return parse_list_query(request.query_params.multi_items(), default_limit=default_limit, max_limit=max_limit)

    return Provide(list_query, sync_to_thread=False)
