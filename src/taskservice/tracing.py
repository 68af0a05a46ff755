"""OpenTelemetry traces, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).

Only the composition root (and logs.py, for `add_trace_ids`) import this module, and only when
tracing is on: with it off, OpenTelemetry is never imported and no request does any work for it.

What is traced, and by what:
- Each request: one server span, Litestar's OpenTelemetry middleware (`OpenTelemetryConfig`,
  over OpenTelemetry's ASGI instrumentation), which continues an incoming W3C `traceparent`.
  It wraps the outer request-context middleware rather than sitting in Litestar's stack, so
  that router 404s and 405s get a span too and the access line, written last, still sees it.
  The span is named by the method and, once routed, the route template (`POST /v1/tasks`,
  `GET /v1/tasks/{task_id}`), never the raw path; its receive and send sub-spans are left out.
- Each PostgreSQL statement: OpenTelemetry's asyncpg instrumentation, which sees every call the
  store makes (pooled connections delegate to `asyncpg.Connection`), BEGIN and COMMIT included.
- Each SQLite statement: a span of ours where the store runs it (adapters/sql/sqlite.py says why
  not OpenTelemetry's sqlite3 instrumentation), with the same attributes.
Statement spans carry `db.system` and the statement text with placeholders, never the values.

Spans leave through a `BatchSpanProcessor` (a background thread) and the OTLP/HTTP exporter to
`<endpoint>/v1/traces`; the SDK reads its other standard variables (OTEL_TRACES_SAMPLER,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_SCHEDULE_DELAY, ...) from the environment as usual.
"""

import asyncio
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Final, cast

from litestar.plugins.opentelemetry import OpenTelemetryConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor  # pyright: ignore[reportMissingTypeStubs]
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id
from structlog.typing import EventDict, WrappedLogger

DEFAULT_SERVICE_NAME: Final = "taskservice"
HTTP_ROUTE: Final = "http.route"
# The attribute names OpenTelemetry's asyncpg instrumentation writes (its default semantic conventions).
DB_SYSTEM: Final = "db.system"
DB_STATEMENT: Final = "db.statement"


def traces_url(endpoint: str) -> str:
    """Where the SDK posts spans for the base URL OTEL_EXPORTER_OTLP_ENDPOINT names."""
    return f"{endpoint.rstrip('/')}/v1/traces"


def resource() -> Resource:
    """`service.name` is taskservice unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says
    otherwise: the SDK lets an attribute given in code win over the environment, so ask it first."""
    from_environment = OTELResourceDetector().detect().attributes.get(SERVICE_NAME)
    return Resource.create({SERVICE_NAME: str(from_environment or DEFAULT_SERVICE_NAME)})


class Tracing:
    """This process's tracer provider and what feeds it; `start` and `stop` from the app's lifespan.

    The provider is the app's own, not OpenTelemetry's global one: an app built in a test traces to
    its own receiver, and nothing outside the app is traced by accident.
    """

    def __init__(self, endpoint: str, *, export_timeout: float | None = None) -> None:
        self.provider = TracerProvider(resource=resource())
        exporter = OTLPSpanExporter(endpoint=traces_url(endpoint), timeout=export_timeout)
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self.provider.get_tracer("taskservice")
        self._asyncpg = AsyncPGInstrumentor()

    def start(self) -> None:
        """Trace asyncpg's statements from now on (after the migrations and the pool's connecting).
        The instrumentation patches asyncpg itself: one traced app per process at a time."""
        self._asyncpg.instrument(tracer_provider=self.provider)  # pyright: ignore[reportUnknownMemberType]

    async def stop(self) -> None:
        """Stop tracing asyncpg and send what is left, off the event loop (the export may wait on
        the collector up to OTEL_EXPORTER_OTLP_TIMEOUT)."""
        self._asyncpg.uninstrument()  # pyright: ignore[reportUnknownMemberType]
        await asyncio.to_thread(self.provider.shutdown)

    def server_span(self, app: ASGIApp) -> ASGIApp:
        """`app` inside a server span per request (Litestar's OpenTelemetry middleware)."""
        config = OpenTelemetryConfig(
            tracer_provider=self.provider,
            scope_span_details_extractor=_span_name_before_routing,
            exclude_spans=["receive", "send"],
        )
        middleware: ASGIApp = config.middleware(app=app)
        return middleware

    def sqlite_statement_span(self, sql: str) -> AbstractContextManager[object]:
        """A span for one SQLite statement, a child of the request's span."""
        return self._tracer.start_as_current_span(
            _operation(sql), kind=SpanKind.CLIENT, attributes={DB_SYSTEM: "sqlite", DB_STATEMENT: sql}
        )


def _span_name_before_routing(scope: Scope) -> tuple[str, dict[str, Any]]:
    # The method alone, as OpenTelemetry's HTTP conventions name a span whose route is unknown:
    # `name_by_route` appends the template once the router has found one.
    return str(_read(scope, "method") or ""), {}


def name_by_route(app: ASGIApp) -> ASGIApp:
    """`app` (the Litestar app) renaming the request's span `<method> <route template>` when the
    response starts, by when the router has set `path_template` (and before the span ends)."""

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        def send_named(message: Message) -> Any:
            if message["type"] == "http.response.start":
                template = _read(scope, "path_template")
                span = trace.get_current_span()
                # A span sampled out is not a ReadableSpan, and has no name to change.
                if template and isinstance(span, ReadableSpan):
                    span.update_name(f"{span.name} {template}")
                    span.set_attribute(HTTP_ROUTE, template)
            return send(message)

        await app(scope, receive, send_named)

    return named


def _read(scope: Scope, key: str) -> Any:
    # Litestar's Scope types `.get` with a partly unknown overload set: read it as a mapping.
    return cast("Mapping[str, Any]", scope).get(key)


def _operation(sql: str) -> str:
    # The statement's first word, as the asyncpg instrumentation names its spans (SELECT, INSERT).
    words = sql.split(None, 1)
    return words[0].upper() if words else "SQL"


def add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """structlog processor: the current span's `trace_id` and `span_id` (hex), inside a request."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format_trace_id(context.trace_id))
        event.setdefault("span_id", format_span_id(context.span_id))
    return event
