"""One logging pipeline: structlog renders our lines and every stdlib record (uvicorn, SQLAlchemy,
Alembic, warnings) alike, to stdout, as a readable console in dev/test and JSON lines in qa/prod.

Why it is built this way (ECOSYSTEM trap 7):
- One `ProcessorFormatter` on one root handler: library records get the same processors and
  renderer as ours, and nothing else writes to the terminal.
- The handler formats in the thread that logs, not via a `QueueHandler`: on Python 3.12+ a queue
  handler formats in another thread, where the request's id (a contextvar) is gone.
- Litestar gets `logging_config=None` (http/app.py), so it installs no config of its own, and
  uvicorn runs with `log_config=None` and its access log off: the request-context middleware
  writes the one access line per request.

Every request writes at least one line, so the hot path is kept short (docs/performance.md):
our own lines skip the stdlib machinery (LogRecord, caller lookup, handler, formatter), a JSON
line is built by one processor, and lines written while the event loop runs one iteration reach
the stream in one write (`LineWriter`).
"""

import asyncio
import atexit
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

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
# structlog's method names to the level a line shows (as structlog.stdlib.add_log_level names them).
_LEVEL_OF_METHOD: Final = {"warn": "warning", "exception": "error"}


# A line rendered only when the writer writes it: (render, the values it renders).
Deferred = tuple[Callable[[Any], str], Any]


class LineWriter:
    """Writes rendered lines to the current `sys.stdout` (looked up per write, like `print`, so a
    stream replaced since start-up is honoured).

    On a thread running an event loop, lines are collected and written together, once, when the
    loop gets to the next callback: under load one `write` + `flush` serves every request the
    iteration finished, and an idle service still shows each line within the same loop turn.
    Elsewhere (the CLI, other threads) a line is written at once, after any collected ones, so the
    order of lines is the order they were logged in. A `Deferred` line is rendered only then, with
    the others of its turn.
    """

    def __init__(self) -> None:
        self._pending: list[str | Deferred] = []
        self._lock = threading.Lock()
        self._scheduled_on: asyncio.AbstractEventLoop | None = None

    def write(self, line: str | Deferred) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._pending.append(line)
            if loop is None:
                self._write_pending()
                return
            if self._scheduled_on is loop:
                return
            if self._scheduled_on is not None:
                # Collected on another loop (one that has since stopped, or another thread's):
                # write those first rather than wait for a callback that may never run.
                self._write_pending()
            self._scheduled_on = loop
        loop.call_soon(self._flush_for, loop)

    def flush(self) -> None:
        """Write whatever is collected now (shutdown, exit, tests)."""
        with self._lock:
            self._write_pending()

    def _flush_for(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._scheduled_on is loop:
                self._write_pending()

    def _write_pending(self) -> None:
        self._scheduled_on = None
        if not self._pending:
            return
        text = "\n".join(line if isinstance(line, str) else line[0](line[1]) for line in self._pending) + "\n"
        self._pending.clear()
        stream = sys.stdout
        stream.write(text)
        stream.flush()


_writer = LineWriter()
atexit.register(_writer.flush)


def flush_logs() -> None:
    """Write every collected line now; the service calls it as the last step of shutdown."""
    _writer.flush()


class _LineHandler(logging.Handler):
    """The root handler: formats a library record in the logging thread and hands it to the writer."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _writer.write(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never take the service down
            self.handleError(record)


class _StdoutLogger:
    """The logger structlog wraps: passes each rendered line to the writer, and knows its name
    for `add_logger_name`, as a stdlib logger would."""

    def __init__(self, name: str) -> None:
        self.name = name

    def msg(self, message: str) -> None:
        _writer.write(message)

    debug = info = warning = error = critical = exception = fatal = log = msg


def _stdout_logger_factory(*args: Any) -> _StdoutLogger:
    return _StdoutLogger(str(args[0]) if args else "")


class _UtcClock:
    """ISO 8601 UTC timestamps with microseconds, as structlog's `TimeStamper(fmt="iso", utc=True)`
    writes them, for a fifth of the cost: the date and time up to the second is formatted once
    per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        return self.at(time.time())

    def at(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"


_clock = _UtcClock()


def _add_timestamp(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event["timestamp"] = _clock.now()
    return event


def _add_request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
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
    # A JSON line that starts with when, how bad, who and what is quicker to scan in `docker logs`.
    return {**{key: event.pop(key) for key in _LEADING_KEYS if key in event}, **event}


_LEADING_KEYS = ("timestamp", "level", "logger", "event")


# Structured tracebacks without each frame's local variables: those would copy task titles,
# descriptions and connection details into the logs.
_dict_tracebacks = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def _json(event: Any, **_: Any) -> str:
    # msgspec keeps the key order and is several times faster than json.dumps; like structlog's
    # default, anything it cannot encode is written as its repr().
    return msgspec.json.encode(event, enc_hook=repr).decode()


def _json_line(logger: WrappedLogger, method_name: str, event: EventDict) -> str:
    """Our own lines in qa/prod: the same line the library chain below makes (leading keys first,
    then the call's keys, then the request id), built in one step."""
    if "exc_info" in event:
        event = _dict_tracebacks(logger, method_name, event)
    line: dict[str, Any] = {
        "timestamp": _clock.now(),
        "level": _LEVEL_OF_METHOD.get(method_name, method_name),
        "logger": getattr(logger, "name", None),
        "event": event.pop("event", None),
    }
    line.update(event)
    request_id = current_request_id()
    if request_id:
        line.setdefault("request_id", request_id)
    return _json(line)


def access_log(settings: Settings) -> Callable[[str, str, int, float, Sequence[Any] | None], None] | None:
    """The access line writer for the request-context middleware, or None for its structlog default.

    In qa/prod the line is rendered here directly: it is the one line every request writes, and
    structlog's generic path (bound logger, context copy, processor chain) was a third of a
    /healthz request's own time (docs/performance.md). It is the very line `_json_line` makes
    for `structlog.get_logger("taskservice.access").info("request", ...)` (a test compares them).
    The request records its values and the time; the line is rendered when the writer writes the
    loop turn's lines, all in one go, off the request's path.
    """
    if not settings.json_logs:
        return None
    if logging.getLevelNamesMapping()[settings.log_level.value] > logging.INFO:
        return _no_access_line

    def write(method: str, path: str, status: int, seconds: float, client: Sequence[Any] | None) -> None:
        _writer.write((_access_line, (time.time(), method, path, status, seconds, client, current_request_id())))

    return write


def _no_access_line(method: str, path: str, status: int, seconds: float, client: Sequence[Any] | None) -> None:
    pass


class _AccessLine(msgspec.Struct, omit_defaults=True):
    """The access line's keys in the order `_json_line` writes them; a struct, because msgspec
    encodes one in a single call where the generic line builds and merges dicts first."""

    timestamp: str
    level: str
    logger: str
    event: str
    method: str
    path: str
    status: int
    duration_ms: float
    client: str | None
    request_id: str | None = None  # left out when there is none, as `_json_line` does


_encode_access_line = msgspec.json.Encoder().encode


def _access_line(values: tuple[float, str, str, int, float, Sequence[Any] | None, str]) -> str:
    """Renders a deferred access line: (time, method, path, status, seconds, client, request id)."""
    at, method, path, status, seconds, client, request_id = values
    line = _AccessLine(
        _clock.at(at),
        "info",
        "taskservice.access",
        "request",
        method,
        path,
        status,
        round(seconds * 1000, 2),
        f"{client[0]}:{client[1]}" if client else None,
        request_id or None,
    )
    return _encode_access_line(line).decode()


def info_line(settings: Settings, logger_name: str) -> Callable[..., None] | None:
    """`line(event, **fields)`: an info line of logger `logger_name`, for lines written per write
    (the event log), or None for the structlog default.

    In qa/prod the line is rendered here directly, and deferred, by the renderer of the access
    line: structlog's generic path was ~5 µs of the ~7 µs an event's line cost. It is the very line `_json_line`
    makes for `structlog.get_logger(logger_name).info(event, **fields)` (a test compares them).
    """
    if not settings.json_logs:
        return None
    if logging.getLevelNamesMapping()[settings.log_level.value] > logging.INFO:
        return _no_line

    def write(event: str, **fields: object) -> None:
        _writer.write((_info_line, (time.time(), logger_name, event, fields, current_request_id())))

    return write


def _info_line(values: tuple[float, str, str, dict[str, object], str]) -> str:
    """Renders a deferred line: (time, logger name, event, fields, request id)."""
    at, logger_name, event, fields, request_id = values
    line: dict[str, Any] = {"timestamp": _clock.at(at), "level": "info", "logger": logger_name, "event": event}
    line.update(fields)
    if request_id:
        line.setdefault("request_id", request_id)
    return _json(line)


def _no_line(event: str, **fields: object) -> None:
    pass


def configure_logging(settings: Settings) -> None:
    """Install the pipeline for this process (the CLI, and each uvicorn worker via the factory)."""
    _writer.flush()
    shared: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _rename_uvicorn_error,
        _add_timestamp,
        _add_request_id,
    ]
    final: list[Processor]
    if settings.json_logs:
        final = [_dict_tracebacks, _leading_keys_first, structlog.processors.JSONRenderer(serializer=_json)]
        ours: list[Processor] = [_json_line]
    else:
        final = [
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
        ours = [*shared, *final]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = _LineHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.value)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # Python's warnings become log records instead of bare text on stderr.
    logging.captureWarnings(True)
    structlog.configure(
        processors=ours,
        logger_factory=_stdout_logger_factory,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[settings.log_level.value]),
        cache_logger_on_first_use=True,
    )
