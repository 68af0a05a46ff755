"""The composition root: settings → storage → event dispatcher → use cases → HTTP app.

Nothing here runs at import time. `create_app` is what the server and the tests call; tests
pass fakes for `store` and `clock`, and extra event listeners to observe what happened.
"""

from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

from litestar import Litestar

from taskservice.adapters.clock import SystemClock
from taskservice.adapters.dispatcher import EventDispatcher, Listener
from taskservice.adapters.listeners import default_registry
from taskservice.adapters.memory import MemoryStore
from taskservice.adapters.sql.store import SqlStore
from taskservice.gc_tuning import tune_for_serving
from taskservice.http.app import build_http_app
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.logs import access_log, configure_logging, flush_logs
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import Store
from taskservice.settings import MEMORY_URL, Settings, load_settings
from taskservice.usecases.tasks import TaskUseCases

if TYPE_CHECKING:
    from taskservice.tracing import Tracing

# How long one listener may take with one event before it is abandoned (and logged).
EVENT_LISTENER_TIMEOUT: Final = 5.0


def build_store(settings: Settings, tracing: "Tracing | None" = None) -> SqlStore:
    """The SQL store DATABASE_URL names (not yet open: `SqlStore.open`)."""
    return SqlStore(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        statement_timeout=settings.db_statement_timeout,
        sqlite_statement_span=tracing.sqlite_statement_span if tracing is not None else None,
    )


def build_tracing(settings: Settings) -> "Tracing | None":
    """OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set, else None. Imported only then:
    with tracing off, OpenTelemetry is not even loaded."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    from taskservice.tracing import Tracing  # noqa: PLC0415

    return Tracing(settings.otel_exporter_otlp_endpoint)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    listeners: Sequence[Listener] = (),
    serving: bool = False,
) -> RequestContextMiddleware:
    """The whole service. `serving`: this process is the server (not a test or a script), so
    the garbage collector is tuned for it once start-up is done (gc_tuning.py)."""
    sql: SqlStore | None = None
    tracing = build_tracing(settings)
    if store is None:
        if settings.database_url == MEMORY_URL:
            store = MemoryStore()
        else:
            store = sql = build_store(settings, tracing)
    dispatcher = EventDispatcher(
        default_registry(*listeners),
        queue_size=settings.event_queue_size,
        listener_timeout=EVENT_LISTENER_TIMEOUT,
    )
    tasks = TaskUseCases(store.unit_of_work, clock or SystemClock(), dispatcher)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None]:
        if sql is not None:
            await sql.open(migrate=settings.migrate_on_start)
        await dispatcher.start()
        if tracing is not None:
            tracing.start()
        if serving:
            tune_for_serving()
        try:
            yield
        finally:
            # In-flight requests have finished by now; deliver what they published, bounded.
            await dispatcher.stop(drain_timeout=settings.shutdown_timeout)
            if sql is not None:
                await sql.close()
            if tracing is not None:
                await tracing.stop()
            flush_logs()

    app = build_http_app(
        tasks,
        store,
        api_prefix=settings.api_prefix,
        default_limit=settings.default_list_limit,
        max_limit=settings.max_list_limit,
        max_body_bytes=settings.max_body_bytes,
        readiness_timeout=settings.readiness_timeout,
        expose_causes=settings.is_dev,
        cors_origins=settings.cors_origins,
        lifespan=lifespan,
        access_log=access_log(settings),
        request_timeout=settings.request_timeout,
    )
    if tracing is not None:
        from taskservice.tracing import name_by_route  # noqa: PLC0415 - only when tracing is on

        return app.wrapped(tracing.server_span, name_by_route)
    return app


def app_from_environment() -> RequestContextMiddleware:
    """The factory uvicorn calls in each worker process (`--factory`)."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, serving=True)
