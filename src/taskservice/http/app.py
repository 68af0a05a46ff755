"""Assemble the Litestar application and wrap it in the outer request-context middleware."""

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components

# Litestar annotates `directories` with a bare os.PathLike, which strict pyright reads as partly unknown.
from litestar.static_files import create_static_files_router  # pyright: ignore[reportUnknownVariableType]
from openapi_ui_bundles import redoc, swagger_ui

from taskservice.http.access import (
    BEARER_SCHEME,
    BEARER_SECURITY_SCHEME,
    Authenticate,
    authentication,
    open_paths,
)
from taskservice.http.auth_routes import SignInLimit, token_handlers
from taskservice.http.errors import build_exception_handlers
from taskservice.http.health import health_handlers
from taskservice.http.limits.setup import RateLimits
from taskservice.http.metrics import PATH as METRICS_PATH
from taskservice.http.metrics import metrics_handler
from taskservice.http.middleware import AccessLog, RequestContextMiddleware
from taskservice.http.tasks import task_handlers
from taskservice.http.users import user_handlers
from taskservice.metrics import CONTENT_TYPE, Metrics
from taskservice.ports.repository import HealthCheck
from taskservice.usecases.api_keys import ApiKeyUseCases
from taskservice.usecases.sign_in import SignIn
from taskservice.usecases.tasks import TaskUseCases
from taskservice.usecases.users import UserUseCases

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]

# The API docs' scripts, styles and icon come from the service itself (openapi-ui-bundles: Swagger UI
# 5.17, ReDoc 2.2), not from CDNs: /schema works offline and shows the same UI version every time.
# Every URL is passed, the favicon included: each one left out defaults to a CDN.
UI_ASSETS = "/schema/static"
_FAVICON = f"<link rel='icon' type='image/png' href='{UI_ASSETS}/swagger-ui/favicon-32x32.png'>"


def api_docs() -> tuple[list[OpenAPIRenderPlugin], list[Router]]:
    """The /schema UIs (Swagger UI first, so /schema opens it) and the routers serving their files."""
    swagger = SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{UI_ASSETS}/swagger-ui/swagger-ui-bundle.js",
        css_url=f"{UI_ASSETS}/swagger-ui/swagger-ui.css",
        standalone_preset_js_url=f"{UI_ASSETS}/swagger-ui/swagger-ui-standalone-preset.js",
        favicon=_FAVICON,
    )
    redoc_ui = RedocRenderPlugin(
        path="/redoc", js_url=f"{UI_ASSETS}/redoc/redoc.standalone.js", google_fonts=False, favicon=_FAVICON
    )
    files = [
        create_static_files_router(f"{UI_ASSETS}/swagger-ui", [swagger_ui.static_path], name="swagger-ui-files"),
        create_static_files_router(f"{UI_ASSETS}/redoc", [redoc.static_path], name="redoc-files"),
    ]
    return [swagger, redoc_ui], files


def cors(origins: Sequence[str]) -> CORSConfig | None:
    """Litestar's CORS for these origins (None: off). It sits in front of the router, so it answers
    a preflight before the explicit OPTIONS handlers of http/tasks.py would."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["ETag", "Location", "X-Request-ID"],
    )


def build_http_app(
    tasks: TaskUseCases,
    database: HealthCheck,
    *,
    users: UserUseCases,
    api_keys: ApiKeyUseCases,
    sign_in: SignIn,
    sign_in_limit: SignInLimit | None = None,
    authenticate: Authenticate,
    max_credential_length: int,
    api_prefix: str,
    default_limit: int,
    max_limit: int,
    max_body_bytes: int,
    readiness_timeout: float,
    expose_causes: bool,
    cors_origins: Sequence[str] = (),
    lifespan: Lifespan | None = None,
    access_log: AccessLog | None = None,
    quiet_access_log: AccessLog | None = None,
    request_timeout: float | None = None,
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
    body_timeout: float | None = None,
    rate_limits: RateLimits | None = None,
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
    accounts = Router(
        path=api_prefix or "/",
        route_handlers=[
            *user_handlers(
                users,
                api_keys,
                location_prefix=api_prefix,
                default_limit=default_limit,
                max_limit=max_limit,
                max_body_bytes=max_body_bytes,
            ),
            *token_handlers(sign_in, max_body_bytes=max_body_bytes, limit=sign_in_limit),
        ],
        tags=["users"],
    )
    ui_plugins, ui_files = api_docs()
    scrape = [metrics_handler(metrics.exposition, content_type=CONTENT_TYPE, token=metrics_token)] if metrics else []
    litestar = Litestar(
        route_handlers=[api, accounts, *health_handlers(database, timeout=readiness_timeout), *scrape, *ui_files],
        exception_handlers=build_exception_handlers(expose_causes=expose_causes),
        # Authentication runs after routing (an unknown route is a 404 for anyone) and before the
        # handler's own checks of path, query and body; it checks the route's rule too (403), then
        # spends the caller's rate limit (429).
        middleware=[
            authentication(
                authenticate,
                max_length=max_credential_length,
                open_patterns=open_paths(api_prefix),
                limit=rate_limits.caller if rate_limits else None,
            ),
        ],
        # The task routes read bodies themselves (schemas.read_body) with the same limit.
        request_max_body_size=max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="taskservice",
            version="1",
            description="The team's canonical list of tasks.",
            path="/schema",
            render_plugins=ui_plugins,
            # Declared once; each protected operation names it (access.protected).
            components=Components(security_schemes={BEARER_SCHEME: BEARER_SECURITY_SCHEME}),
        ),
        cors_config=cors(cors_origins),
        lifespan=[lifespan] if lifespan is not None else [],
        # Logging is configured by taskservice.logs; Litestar must not install its own.
        logging_config=None,
        debug=False,
    )
    return RequestContextMiddleware(
        litestar,
        access_log,
        static_prefix=f"{UI_ASSETS}/",
        request_timeout=request_timeout,
        observe=metrics.observe if metrics else None,
        # Probes and scrapes come every few seconds: counted, but logged only at DEBUG.
        quiet_paths=("/readyz", METRICS_PATH),
        quiet_access_log=quiet_access_log,
        body_timeout=body_timeout,
    )
