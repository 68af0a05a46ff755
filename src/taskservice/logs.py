"""One logging pipeline: structlog renders our lines and every stdlib record (uvicorn, SQLAlchemy,
Alembic) alike, to stdout, as a readable console in dev/test and JSON lines in qa/prod."""

import logging
import sys

import structlog
from structlog.typing import Processor

from taskservice.settings import Settings

# Library loggers that must go through our handler, never their own.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic", "asyncio")


def configure_logging(settings: Settings) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if settings.json_logs:
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.dict_tracebacks, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        final = [renderer]
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
    # The request-context middleware writes the one access line per request; uvicorn's is off.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False
    # Per-statement chatter (SQL echo, aiosqlite's thread hops, Alembic's plugin set-up) would
    # drown the service's own lines, even in dev.
    for name in ("sqlalchemy", "aiosqlite", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
