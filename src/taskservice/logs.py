"""One logging pipeline: structlog renders our lines and every stdlib record (uvicorn, SQLAlchemy,
Alembic, warnings) alike, to stdout, as a readable console in dev/test and JSON lines in qa/prod.

Why it is built this way (ECOSYSTEM trap 7):
- Our own lines take structlog's fast path: a filtering bound logger (a call below the level
  does nothing), its bytes logger, its timestamper, its JSON renderer on msgspec. No stdlib
  `LogRecord`, handler or formatter on the way.
- Library records go through one `ProcessorFormatter` on one root handler, with the same
  processors and renderer, to the same stdout: nothing else writes to the terminal.
- The handler formats in the thread that logs, not via a `QueueHandler`: on Python 3.12+ a queue
  handler formats in another thread, where the request's id (a contextvar) is gone.
- Litestar gets `logging_config=None` (http/app.py), so it installs no config of its own, and
  uvicorn runs with `log_config=None` and its access log off: the request-context middleware
  writes the one access line per request.
- Every line is written and flushed when it is logged, by either path, in one `write`. Nothing
  waits in a buffer, so nothing is lost when a process ends, however it ends (a uvicorn worker
  may exit without running `atexit`), and the lines of several workers do not mix.
- The access line, the one line every request writes, is encoded from one struct in qa/prod
  (`access_log`): the generic chain was worth more than 5 % of a route (docs/performance.md).
  With tracing on, every line, the access line included, goes through the chain, whose
  `add_trace_ids` (tracing.py) adds the request span's `trace_id` and `span_id`.
"""

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Final, cast

import msgspec
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from taskservice.request_context import current_request_id
from taskservice.settings import Settings

# Library loggers that must go through the root handler, never their own.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic", "asyncio", "litestar", "py.warnings")
# Per-statement chatter (SQL echo, aiosqlite's thread hops, Alembic's plugin set-up, the event
# loop's selector choice) would drown the service's own lines, even in dev.
_QUIET_LOGGERS = ("sqlalchemy", "aiosqlite", "alembic.runtime.plugins", "asyncio")
# A JSON line that starts with when, how bad, who and what is quicker to scan in `docker logs`.
_LEADING_KEYS: Final = ("timestamp", "level", "logger", "event")
_ACCESS_LOGGER: Final = "taskservice.access"


class _Stdout:
    """The bytes of whatever `sys.stdout` is when a line is written (as `print` looks it up), for
    structlog's `BytesLogger`: a logger is created once and cached, and a stream replaced since
    (a test capturing output) must still get the line. Unbuffered: each line is flushed."""

    def write(self, data: bytes) -> int:
        return sys.stdout.buffer.write(data)

    def flush(self) -> None:
        sys.stdout.flush()


class _StdoutHandler(logging.Handler):
    """The root handler: writes each formatted record to the current `sys.stdout`, and flushes."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stdout
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never take the service down
            self.handleError(record)


_STDOUT: Final = cast("BinaryIO", _Stdout())  # one object: structlog locks writes per file object


def flush_logs() -> None:
    """Every line is written when it is logged; this only flushes stdout (kept for shutdown)."""
    sys.stdout.flush()


def _add_request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    # One ContextVar read: cheaper than `merge_contextvars`, which copies the whole context.
    request_id = current_request_id()
    if request_id:
        event.setdefault("request_id", request_id)
    return event


def _rename_uvicorn_error(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    # uvicorn logs its life cycle ("Started server process", ...) as "uvicorn.error" even at info.
    if event.get("logger") == "uvicorn.error":
        event["logger"] = "uvicorn"
    return event


def _leading_keys_first(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    return {**{key: event.pop(key) for key in _LEADING_KEYS if key in event}, **event}


# Structured tracebacks without each frame's local variables: those would copy task titles,
# descriptions and connection details into the logs.
_dict_tracebacks = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)

# msgspec keeps the key order and is several times faster than json.dumps; like structlog's
# default, anything it cannot encode is written as its repr().
_encoder = msgspec.json.Encoder(enc_hook=repr)


def _json_bytes(event: Any, **_: Any) -> bytes:
    return _encoder.encode(event)


def _json_text(event: Any, **_: Any) -> str:
    return _encoder.encode(event).decode()


class _AccessLine(msgspec.Struct, omit_defaults=True):
    """The access line's keys in the order the JSON chain writes them."""

    timestamp: str
    level: str
    logger: str
    event: str
    method: str
    path: str
    status: int
    duration_ms: float
    client: str | None
    request_id: str | None = None  # left out when there is none, as `_add_request_id` does


def access_log(
    settings: Settings, level: str = "info"
) -> Callable[[str, str, int, float, Sequence[Any] | None], None] | None:
    """The access line writer at `level` ("info", or "debug" for probes and scrapes) for the
    request-context middleware in qa/prod, or None for its structlog default (the dev console).

    The one line every request writes, so it is encoded in one msgspec call from a struct, with
    structlog's own timestamper and bytes logger: the generic chain (bound logger, event dict,
    six processors) cost ~7 µs more per request, 15-20 % of a /healthz and ~7 % of a GET by id
    (docs/performance.md). It is the very line the chain makes (a test compares them).
    """
    if not settings.json_logs or settings.otel_exporter_otlp_endpoint is not None:
        return None  # with tracing on, the chain's processors add the trace and span ids
    if logging.getLevelNamesMapping()[settings.log_level.value] > logging.getLevelNamesMapping()[level.upper()]:
        return _no_access_line
    out = structlog.BytesLogger(_STDOUT, name=_ACCESS_LOGGER)
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    encode = msgspec.json.Encoder().encode

    def write(method: str, path: str, status: int, seconds: float, client: Sequence[Any] | None) -> None:
        line = _AccessLine(
            stamp(out, level, {})["timestamp"],
            level,
            _ACCESS_LOGGER,
            "request",
            method,
            path,
            status,
            round(seconds * 1000, 2),
            f"{client[0]}:{client[1]}" if client else None,
            current_request_id() or None,
        )
        out.msg(encode(line))

    return write


def _no_access_line(method: str, path: str, status: int, seconds: float, client: Sequence[Any] | None) -> None:
    pass


def _to_bytes(_: WrappedLogger, __: str, line: Any) -> bytes:
    # The console renderer writes text; the bytes logger takes bytes.
    return line.encode()


def configure_logging(settings: Settings) -> None:
    """Install the pipeline for this process (the CLI, and each uvicorn worker via the factory)."""
    level = logging.getLevelNamesMapping()[settings.log_level.value]
    shared: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]
    if settings.otel_exporter_otlp_endpoint is not None:
        # Imported only when tracing is on: OpenTelemetry is not even loaded otherwise.
        from taskservice.tracing import add_trace_ids  # noqa: PLC0415

        shared.append(add_trace_ids)
    ours: list[Processor]
    library: list[Processor]
    if settings.json_logs:
        tail: list[Processor] = [_dict_tracebacks, _leading_keys_first]
        ours = [*shared, *tail, structlog.processors.JSONRenderer(serializer=_json_bytes)]
        library = [*tail, structlog.processors.JSONRenderer(serializer=_json_text)]
    else:
        console = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        ours = [*shared, console, _to_bytes]
        library = [console]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, _rename_uvicorn_error],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *library],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers = []
        library_logger.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
    # Python's warnings become log records instead of bare text on stderr.
    logging.captureWarnings(True)
    structlog.configure(
        processors=ours,
        logger_factory=structlog.BytesLoggerFactory(_STDOUT),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
