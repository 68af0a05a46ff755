"""OpenAPI details Litestar cannot infer here, written once.

Request bodies reach the handlers as dependencies (decoded strictly by `http/schemas.py`) and
the list query is parsed by `http/params.py`, so Litestar does not document them; the task id
is a typed path parameter, but Litestar writes its 64-bit bound as a float.
`contract_operation` documents them instead, and removes the 400 response Litestar adds by
default: this service answers malformed requests with 422 and the error envelope.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, Final

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from taskservice.domain.listing import OrderBy, OrderDir
from taskservice.domain.task import TaskStatus
from taskservice.http.errors import MAX_REPORTED_ERRORS, ErrorEnvelope
from taskservice.http.params import MAX_ID


@dataclass
class JsonSchema(Schema):
    """A schema given as plain JSON Schema (msgspec's output), rendered as is."""

    raw: dict[str, Any] | None = None

    def to_schema(self) -> dict[str, Any]:
        return dict(self.raw or {})


def inline_schema(struct: type[msgspec.Struct]) -> JsonSchema:
    """msgspec's JSON Schema for `struct`, with its definitions inlined and unknown fields refused.

    Inlined because Litestar rebuilds the components section from its own registry.
    """
    document = msgspec.json.schema(struct)
    definitions: dict[str, Any] = document.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if isinstance(ref, str):
                # Keep what sits beside the $ref (e.g. `"default": "new"` on status).
                siblings: dict[str, Any] = {k: resolve(v) for k, v in node.items() if k != "$ref"}  # pyright: ignore[reportUnknownVariableType]
                target: dict[str, Any] = resolve(definitions[ref.rsplit("/", 1)[-1]])
                return {**target, **siblings}
            return {k: resolve(v) for k, v in node.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(node, list):
            return [resolve(item) for item in node]  # pyright: ignore[reportUnknownVariableType]
        return node

    schema: dict[str, Any] = resolve(document)
    schema["additionalProperties"] = False
    return JsonSchema(raw=schema)


def contract_operation(
    *,
    body: type[msgspec.Struct] | None = None,
    body_rules: dict[str, Any] | None = None,
    parameters: tuple[Parameter, ...] = (),
) -> type[Operation]:
    """An Operation documenting `body` (plus extra JSON Schema `body_rules`) and `parameters`."""

    @dataclass
    class ContractOperation(Operation):
        _body: ClassVar[type[msgspec.Struct] | None] = body
        _body_rules: ClassVar[dict[str, Any]] = dict(body_rules or {})
        _parameters: ClassVar[tuple[Parameter, ...]] = parameters

        def __post_init__(self) -> None:
            if self.responses is not None:
                self.responses.pop("400", None)
            if self._body is not None:
                schema = inline_schema(self._body)
                schema.raw = {**(schema.raw or {}), **self._body_rules}
                self.request_body = RequestBody(
                    required=True, content={"application/json": OpenAPIMediaType(schema=schema)}
                )
            if self._parameters:
                replaced = {(p.name, p.param_in) for p in self._parameters}
                kept = [
                    p
                    for p in self.parameters or []
                    if not (isinstance(p, Parameter) and (p.name, p.param_in) in replaced)
                ]
                self.parameters = [*kept, *self._parameters]

    return ContractOperation


TASK_ID_PARAMETER: Final = Parameter(
    name="task_id",
    param_in="path",
    required=True,
    description="The task's id: a positive 64-bit integer.",
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_ID),
)


def list_parameters(*, default_limit: int, max_limit: int) -> tuple[Parameter, ...]:
    return (
        Parameter(
            name="status",
            param_in="query",
            description="Only tasks with one of these statuses; repeat for several. Default: all.",
            explode=True,
            schema=Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(type=OpenAPIType.STRING, enum=[s.value for s in TaskStatus]),
            ),
        ),
        Parameter(
            name="order_by",
            param_in="query",
            description="Sort field; ties are broken by created_at asc, then id asc.",
            schema=Schema(type=OpenAPIType.STRING, enum=[o.value for o in OrderBy], default=OrderBy.PRIORITY.value),
        ),
        Parameter(
            name="order_dir",
            param_in="query",
            schema=Schema(type=OpenAPIType.STRING, enum=[d.value for d in OrderDir], default=OrderDir.DESC.value),
        ),
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


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    # Litestar would otherwise generate random strings as examples ("code": "DwEkQQHiBrm...").
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            description=_MEANING[status],
            generate_examples=False,
            examples=[_example(*example) for example in _EXAMPLES[status]],
        )
        for status in statuses
    }


def _example(code: str, message: str, details: dict[str, Any]) -> Example:
    request_id = "3f0c9a52-6d1e-4c1b-9a43-0d6f8e2b7a15"
    return Example(
        summary=code,
        value={"error": {"code": code, "message": message, "details": details, "request_id": request_id}},
    )


_INVALID_PRIORITY: Final = {"source": "body", "field": "priority", "message": "Expected int, got str"}
_EXAMPLES: Final[dict[int, list[tuple[str, str, dict[str, Any]]]]] = {
    401: [("unauthenticated", "A bearer credential is required (Authorization: Bearer <credential>).", {})],
    403: [("forbidden", "Your role (reader) does not allow this; it needs writer.", {})],
    404: [("task_not_found", "No task with this id.", {"id": 7}), ("not_found", "No such route.", {})],
    405: [("method_not_allowed", "This route does not support the method.", {})],
    409: [("duplicate_task", "A task with this title already exists.", {"title": "Ship it"})],
    413: [("payload_too_large", "The request body is too large.", {})],
    415: [("unsupported_media_type", "The request body must be JSON.", {"content_type": "text/plain"})],
    422: [
        ("validation_error", "The request is not valid.", {"errors": [_INVALID_PRIORITY]}),
        ("read_only_field", "The field 'id' is set by the server.", {"field": "id"}),
        ("empty_update", "The update names no field to change.", {}),
    ],
    500: [("internal_error", "An unexpected error occurred.", {})],
    503: [("service_unavailable", "The database is not available; retry shortly.", {})],
}


_MEANING: Final = {
    401: (
        "`unauthenticated`: no credential, or a malformed, expired, revoked or unknown one (WWW-Authenticate: Bearer)."
    ),
    403: "`forbidden`: the caller's role does not allow this.",
    404: "`task_not_found` (details.id) or `not_found`.",
    405: "`method_not_allowed`; the Allow header lists the methods.",
    409: "`duplicate_task`: the title key is taken (details.title).",
    413: "`payload_too_large`: the body is over the configured limit.",
    415: "`unsupported_media_type`: the body is not JSON.",
    422: (
        f"`validation_error` (details.errors, at most {MAX_REPORTED_ERRORS}: past that, details.truncated and "
        "details.error_count), `read_only_field` (details.field) or `empty_update`."
    ),
    500: "`internal_error`.",
    503: "`service_unavailable`: the database is unreachable or saturated; retry after Retry-After.",
}
