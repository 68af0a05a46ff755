"""The error envelope, and the one place that maps errors to HTTP status codes and codes."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from taskservice.domain.errors import (
    ApiKeyNotFound,
    DomainError,
    DuplicateTitle,
    DuplicateUser,
    EmptyUpdate,
    Forbidden,
    InvalidCredentials,
    InvalidField,
    StorageUnavailable,
    TaskNotFound,
    Unauthenticated,
    UserNotFound,
)
from taskservice.http.body_deadline import BodyTimeout
from taskservice.http.limits.windows import RateLimited
from taskservice.request_context import current_request_id

Source = Literal["body", "query", "path", "header"]
RETRY_AFTER_SECONDS: Final = "1"
# A request can carry thousands of mistakes (8,000 unknown query parameters made a 943 KB 422):
# the first ones are enough to fix it, and `error_count` says how many there were in all.
MAX_REPORTED_ERRORS: Final = 50

_log = structlog.get_logger("taskservice.http")

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


class FieldError(msgspec.Struct, frozen=True):
    source: Source
    field: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True):
    code: str
    message: str
    details: dict[str, Any]
    request_id: str


class ErrorEnvelope(msgspec.Struct, frozen=True):
    """Every non-2xx response has this body."""

    error: ErrorBody


class RequestValidationError(Exception):
    """The request is malformed: bad JSON, wrong types, bounds, unknown fields or parameters."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.source} {e.field}: {e.message}" for e in errors))
        self.errors = list(errors)


class ReadOnlyField(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is set by the server")
        self.field = field


class ClientDisconnected(Exception):
    """The client went away before its request body ended: its doing, not the server's."""


# nginx's "client closed request": no answer reaches the client; the access line records it.
CLIENT_CLOSED_REQUEST: Final = 499


class UnsupportedMediaType(Exception):
    def __init__(self, content_type: str, accepted: str = "JSON (application/json)") -> None:
        super().__init__(content_type)
        self.content_type = content_type
        self.accepted = accepted  # what the route takes, in the message


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    body = ErrorEnvelope(
        error=ErrorBody(code=code, message=message, details=dict(details or {}), request_id=current_request_id())
    )
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=dict(headers or {}))


def validation_response(errors: Sequence[FieldError]) -> Response[ErrorEnvelope]:
    """The 422 of every request validation error (path, query, body): at most MAX_REPORTED_ERRORS
    of them, with `truncated` and the whole `error_count` when there were more."""
    details: dict[str, Any] = {"errors": [msgspec.structs.asdict(e) for e in errors[:MAX_REPORTED_ERRORS]]}
    if len(errors) > MAX_REPORTED_ERRORS:
        details["truncated"] = True
        details["error_count"] = len(errors)
    return error_response(422, "validation_error", "The request is not valid.", details)


def build_exception_handlers(*, expose_causes: bool) -> dict[int | type[Exception], Handler]:
    """Litestar exception handlers for every error a request can end in."""

    def on_domain_error(_: Request[Any, Any, Any], error: DomainError) -> Response[ErrorEnvelope]:
        match error:
            case TaskNotFound():
                return error_response(404, error.code, "No task with this id.", {"id": error.task_id})
            case DuplicateTitle():
                return error_response(409, error.code, str(error), {"title": error.title})
            case InvalidField():
                return validation_response([FieldError("body", error.field, error.message)])
            case EmptyUpdate():
                return error_response(422, error.code, "The update names no field to change.")
            case UserNotFound():
                return error_response(404, error.code, str(error), {"id": error.user_id})
            case ApiKeyNotFound():
                return error_response(404, error.code, str(error), {"id": error.key_id})
            case DuplicateUser():
                return error_response(409, error.code, str(error), {"email": error.email})
            case InvalidCredentials():
                # RFC 9110: a 401 names a scheme; no hint of which of email or password was wrong.
                return error_response(401, error.code, str(error), None, {"WWW-Authenticate": "Bearer"})
            case Unauthenticated():
                # RFC 6750: the scheme to authenticate with; never a hint of what was wrong with a key.
                return error_response(401, error.code, str(error), None, {"WWW-Authenticate": "Bearer"})
            case Forbidden():
                return error_response(403, error.code, str(error))
            case StorageUnavailable():
                _log.warning("storage_unavailable", reason=error.reason)
                details = _cause_details(error) if expose_causes else {}
                return error_response(
                    503,
                    error.code,
                    "The database is not available; retry shortly.",
                    details,
                    {"Retry-After": RETRY_AFTER_SECONDS},
                )
            case _:
                return on_unexpected(_, error)

    def on_validation_error(_: Request[Any, Any, Any], error: RequestValidationError) -> Response[ErrorEnvelope]:
        return validation_response(error.errors)

    def on_read_only(_: Request[Any, Any, Any], error: ReadOnlyField) -> Response[ErrorEnvelope]:
        return error_response(
            422, "read_only_field", f"The field {error.field!r} is set by the server.", {"field": error.field}
        )

    def on_media_type(_: Request[Any, Any, Any], error: UnsupportedMediaType) -> Response[ErrorEnvelope]:
        return error_response(
            415,
            "unsupported_media_type",
            f"The request body must be {error.accepted}.",
            {"content_type": error.content_type},
        )

    def on_rate_limited(_: Request[Any, Any, Any], error: RateLimited) -> Response[ErrorEnvelope]:
        return error_response(
            429,
            "rate_limited",
            "Too many requests; retry after the seconds Retry-After gives.",
            {"retry_after": error.retry_after},
            error.headers,
        )

    def on_client_gone(_: Request[Any, Any, Any], __: ClientDisconnected) -> Response[ErrorEnvelope]:
        # Nothing to log but the access line (status 499); the server drops what is sent now.
        return error_response(CLIENT_CLOSED_REQUEST, "client_closed_request", "The client went away.")

    def on_slow_body(_: Request[Any, Any, Any], error: BodyTimeout) -> Response[ErrorEnvelope]:
        # The client's doing: the rest of its body is not waited for, the connection is closed.
        details = {"timeout_seconds": error.seconds}
        message = "The request body did not arrive in time."
        return error_response(408, "request_timeout", message, details, {"Connection": "close"})

    def on_http_exception(_: Request[Any, Any, Any], error: HTTPException) -> Response[ErrorEnvelope]:
        if isinstance(error, NotFoundException):
            return error_response(404, "not_found", "No such route.")
        if isinstance(error, MethodNotAllowedException):
            # The router sends "allow", the route "Allow"; either way the caller gets it back.
            headers = {k.lower(): v for k, v in (error.headers or {}).items()}
            allow = ", ".join(sorted(m.strip() for m in headers.get("allow", "").split(",") if m.strip()))
            return error_response(
                405, "method_not_allowed", "This route does not support the method.", {}, {"Allow": allow}
            )
        if isinstance(error, RequestEntityTooLarge):
            return error_response(413, "payload_too_large", "The request body is too large.")
        if error.status_code == 400:
            # Anything Litestar itself refuses as malformed is, in this contract, a validation error.
            return validation_response([FieldError("body", "", error.detail)])
        if error.status_code >= 500:
            return on_unexpected(_, error)
        return error_response(error.status_code, "http_error", error.detail)

    def on_unexpected(_: Request[Any, Any, Any], error: Exception) -> Response[ErrorEnvelope]:
        _log.error("unhandled_exception", exc_info=error)
        details = {"cause": _describe(error)} if expose_causes else {}
        return error_response(500, "internal_error", "An unexpected error occurred.", details)

    return {
        DomainError: on_domain_error,
        RequestValidationError: on_validation_error,
        RateLimited: on_rate_limited,
        ReadOnlyField: on_read_only,
        UnsupportedMediaType: on_media_type,
        ClientDisconnected: on_client_gone,
        BodyTimeout: on_slow_body,
        HTTPException: on_http_exception,
        Exception: on_unexpected,
    }


def _describe(error: BaseException | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"


def _cause_details(error: Exception) -> dict[str, Any]:
    cause = _describe(error.__cause__)
    return {} if cause is None else {"cause": cause}
