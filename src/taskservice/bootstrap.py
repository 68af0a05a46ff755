"""The composition root: settings → storage → event dispatcher → use cases → HTTP app.

Nothing here runs at import time. `create_app` is what the server and the tests call; tests
pass fakes for `store` and `clock`, and extra event listeners to observe what happened.
"""

import asyncio
import functools
import secrets
import sys
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, TextIO

from litestar import Litestar

from taskservice.adapters.clock import SystemClock
from taskservice.adapters.credentials import (
    MAX_CREDENTIAL_LENGTH,
    Argon2Hasher,
    JwtCodec,
    key_digest,
    looks_like_api_key,
    new_api_key,
)
from taskservice.adapters.dispatcher import EventDispatcher, Listener
from taskservice.adapters.listeners import default_registry
from taskservice.adapters.memory import MemoryStore
from taskservice.adapters.sql.store import SqlStore
from taskservice.gc_tuning import tune_for_serving
from taskservice.http.app import build_http_app
from taskservice.http.limits.setup import RateLimits, build_rate_limits
from taskservice.http.limits.stats import RATE_LIMIT_STATS
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.logs import access_log, configure_logging, flush_logs
from taskservice.metrics import Metrics
from taskservice.ports.clock import Clock
from taskservice.ports.credentials import PasswordHasher
from taskservice.ports.unit_of_work import Store, UnitOfWork
from taskservice.settings import MEMORY_URL, Settings, load_settings
from taskservice.usecases.api_keys import ApiKeyUseCases
from taskservice.usecases.authenticate import Authenticator
from taskservice.usecases.first_admin import FIRST_ADMIN_EMAIL, NewKey, create_first_admin, grant_admin_key
from taskservice.usecases.sign_in import SignIn
from taskservice.usecases.tasks import TaskUseCases
from taskservice.usecases.users import UserUseCases

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


@functools.cache
def default_hasher() -> Argon2Hasher:
    """One Argon2id hasher per process: making one hashes its dummy password (~0.1 s), and it
    keeps no state besides."""
    return Argon2Hasher()


def token_codec(settings: Settings) -> JwtCodec:
    """Access tokens signed with JWT_SECRET; without one (dev/test), a random secret of this start
    (the launcher shares one with its workers: __main__.serve)."""
    return JwtCodec(settings.jwt_secret or secrets.token_urlsafe(48), settings.access_token_ttl)


def announce_first_admin(key: str, settings: Settings, out: TextIO) -> None:
    """The dev start's new admin key, on the console once (never in a log line), ready to copy."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104 - a wildcard bind
    print(
        f"\ntaskservice: this database had no users, so {FIRST_ADMIN_EMAIL} (admin) was created.\n"
        f"Its API key, shown only this once:\n\n    {key}\n\n"
        f'Try: curl -H "Authorization: Bearer {key}" http://{host}:{settings.port}{settings.api_prefix}/tasks\n',
        file=out,
        flush=True,
    )


async def admin_at_start(
    settings: Settings, units_of_work: Callable[[], UnitOfWork], clock: Clock, admin_key: NewKey | None
) -> None:
    """Give `admin@localhost` the tests' key, or, in dev on a store with no users, create it and
    print its new key."""
    if admin_key is not None:
        await grant_admin_key(units_of_work, clock, admin_key)
    elif settings.is_dev and (key := await create_first_admin(units_of_work, clock, new_api_key)):
        announce_first_admin(key, settings, sys.stderr)


def rate_limits_from_settings(settings: Settings) -> RateLimits:
    """`RATE_LIMIT` per caller and the sign-in limit, counted in `RATE_LIMIT_STORE`."""
    return build_rate_limits(settings.rate_limit, settings.rate_limit_store)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    listeners: Sequence[Listener] = (),
    rate_limits: RateLimits | None = None,
    serving: bool = False,
    admin_key: NewKey | None = None,
) -> RequestContextMiddleware:
    """The whole service. `serving`: this process is the server (not a test or a script), so
    the garbage collector is tuned for it once start-up is done (gc_tuning.py). `admin_key`
    (`new_api_key()`): a key the start gives `admin@localhost` (tests hold it); without one, a
    `dev` start on a store with no users creates that admin and prints its new key. `hasher`:
    tests pass a cheaper Argon2id."""
    limits = rate_limits or rate_limits_from_settings(settings)
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
    clock = clock or SystemClock()
    tasks = TaskUseCases(store.unit_of_work, clock, dispatcher)
    codec = token_codec(settings)
    hasher = hasher or default_hasher()
    users = UserUseCases(store.unit_of_work, clock, hasher)
    api_keys = ApiKeyUseCases(store.unit_of_work, clock, new_api_key)
    sign_in = SignIn(store.unit_of_work, clock, hasher, codec)
    authenticator = Authenticator(
        store.unit_of_work,
        codec,
        clock,
        key_digest=key_digest,
        is_api_key=looks_like_api_key,
        ttl=settings.auth_cache_ttl,
    )
    units_of_work = store.unit_of_work
    metrics = Metrics(pool=store.pool, backlog=dispatcher.backlog)
    RATE_LIMIT_STATS.report_to(metrics.rate_limits.rejected, metrics.rate_limits.failed_open)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None]:
        if sql is not None:
            await sql.open(migrate=settings.migrate_on_start)
        await admin_at_start(settings, units_of_work, clock, admin_key)
        await dispatcher.start()
        sampler = asyncio.create_task(metrics.run_sampler(), name="metrics-sampler")
        if tracing is not None:
            tracing.start()
        if serving:
            tune_for_serving()
        try:
            yield
        finally:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
            # In-flight requests have finished by now; deliver what they published, bounded.
            await dispatcher.stop(drain_timeout=settings.shutdown_timeout)
            if sql is not None:
                await sql.close()
            await limits.windows.aclose()
            metrics.process_exiting()
            if tracing is not None:
                await tracing.stop()
            flush_logs()

    app = build_http_app(
        tasks,
        store,
        users=users,
        api_keys=api_keys,
        sign_in=sign_in,
        sign_in_limit=limits.sign_in.hit,
        authenticate=authenticator.authenticate,
        max_credential_length=MAX_CREDENTIAL_LENGTH,
        api_prefix=settings.api_prefix,
        default_limit=settings.default_list_limit,
        max_limit=settings.max_list_limit,
        max_body_bytes=settings.max_body_bytes,
        readiness_timeout=settings.readiness_timeout,
        expose_causes=settings.is_dev,
        cors_origins=settings.cors_origins,
        lifespan=lifespan,
        access_log=access_log(settings),
        quiet_access_log=access_log(settings, "debug"),
        request_timeout=settings.request_timeout,
        metrics=metrics,
        metrics_token=settings.metrics_token,
        body_timeout=settings.body_timeout,
        rate_limits=limits,
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
