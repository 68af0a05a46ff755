"""Assemble the Litestar application and wrap it in the outer request-context middleware."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin

from taskservice.http.errors import build_exception_handlers
from taskservice.http.health import health_handlers
from taskservice.http.middleware import AccessLog, RequestContextMiddleware
from taskservice.http.tasks import task_handlers
from taskservice.ports.repository import HealthCheck
from taskservice.usecases.tasks import TaskUseCases

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def build_http_app(
    tasks: TaskUseCases,
    database: HealthCheck,
    *,
    api_prefix: str,
    default_limit: int,
    max_limit: int,
    max_body_bytes: int,
    readiness_timeout: float,
    expose_causes: bool,
    lifespan: Lifespan | None = None,
    access_log: AccessLog | None = None,
) -> RequestContextMiddleware:
    api = Router(
        path=api_prefix or "/",
        route_handlers=task_handlers(
            tasks,
            location_prefix=api_prefix,
            default_limit=default_limit,
            max_limit=max_limit,
            max_body_bytes=max_body_bytes,
        ),
        tags=["tasks"],
    )
    litestar = Litestar(
        route_handlers=[api, *health_handlers(database, timeout=readiness_timeout)],
        exception_handlers=build_exception_handlers(expose_causes=expose_causes),
        # The task routes read bodies themselves (schemas.read_body) with the same limit.
        request_max_body_size=max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="taskservice",
            version="1",
            description="The team's canonical list of tasks.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/swagger"), RedocRenderPlugin(path="/redoc")],
        ),
        lifespan=[lifespan] if lifespan is not None else [],
        # Logging is configured by taskservice.logs; Litestar must not install its own.
        logging_config=None,
        debug=False,
    )
    return RequestContextMiddleware(litestar, access_log)
