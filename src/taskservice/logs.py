"""One logging pipeline: structlog renders our lines and every stdlib record (uvicorn, SQLAlchemy,
Alembic, warnings) alike, to stdout, as a readable console in dev/test and JSON lines in qa/prod.

Why it is built this way (ECOSYSTEM trap 7):
- One `ProcessorFormatter` on one root handler: library records get the same processors and
  renderer as ours, and nothing else writes to the terminal.
- A plain `StreamHandler`, not a `QueueHandler`: on Python 3.12+ a queue handler formats in
  another thread, where the request's contextvars (its `request_id`) are gone.
- Litestar gets `logging_config=None` (http/app.py), so it installs no config of its own, and
  uvicorn runs with `log_config=None` and its access log off: the request-context middleware
  writes the one access line per request.
"""

import logging
import sys
from typing import Any

import msgspec
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from taskservice.settings import Settings

# Library loggers that must go through the root handler, never their own.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic", "asyncio", "litestar", "py.warnings")
# Per-statement chatter (SQL echo, aiosqlite's thread hops, Alembic's plugin set-up, the event
# loop's selector choice) would drown the service's own lines, even in dev.
_QUIET_LOGGERS = ("sqlalchemy", "aiosqlite", "alembic.runtime.plugins", "asyncio")


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


def configure_logging(settings: Settings) -> None:
    """Install the pipeline for this process (the CLI, and each uvicorn worker via the factory)."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _rename_uvicorn_error,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[Processor]
    if settings.json_logs:
        final = [_dict_tracebacks, _leading_keys_first, structlog.processors.JSONRenderer(serializer=_json)]
    else:
        final = [
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stdout)
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
    # Our own lines skip the stdlib machinery (LogRecord, caller lookup, handler, formatter):
    # the same processors and renderer, written straight to the same stream. That was a third
    # of a /healthz request (docs/performance.md); library records still take the path above.
    structlog.configure(
        processors=[*shared, *final],
        logger_factory=_stdout_logger_factory,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[settings.log_level.value]),
        cache_logger_on_first_use=True,
    )


class _StdoutLogger:
    """Writes each rendered line to the current `sys.stdout` (looked up per line, like `print`, so a
    cached logger never holds a stream that was since replaced), and knows its name for
    `add_logger_name`, as a stdlib logger would."""

    def __init__(self, name: str) -> None:
        self.name = name

    def msg(self, message: str) -> None:
        stream = sys.stdout
        stream.write(message + "\n")
        stream.flush()

    debug = info = warning = error = critical = exception = fatal = log = msg


def _json(event: Any, **_: Any) -> str:
    # msgspec keeps the key order and is several times faster than json.dumps; like structlog's
    # default, anything it cannot encode is written as its repr().
    return msgspec.json.encode(event, enc_hook=repr).decode()


def _stdout_logger_factory(*args: Any) -> _StdoutLogger:
    return _StdoutLogger(str(args[0]) if args else "")
