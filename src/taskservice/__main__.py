"""The `taskservice` command: serve (the default), migrate, check, create-admin (admin_cli.py).

Settings are read and validated once, before anything starts: a bad value is one line on
stderr and exit code 2. A database that cannot be reached or migrated at start-up is one
log line and exit code 1, before the port is bound, so there is never a half-started server.
"""

import argparse
import asyncio
import os
import secrets
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from importlib.metadata import version
from types import FrameType
from typing import Final

import structlog

from taskservice import admin_cli
from taskservice.settings import MEMORY_URL, Settings, SettingsError, load_settings

EXIT_BAD_SETTINGS: Final = 2
EXIT_DATABASE: Final = 1
CHECK_TIMEOUT_SECONDS: Final = 3.0

_SETTINGS_HELP = (
    "Settings come from .env, then .env.<APP_ENV>, then the process environment (highest); "
    ".env.example lists every one with its default. docs/operations.md explains them."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskservice",
        description="The team's canonical list of tasks over HTTP/JSON. Without a command, serves.",
        epilog=_SETTINGS_HELP,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('taskservice')}")
    commands = parser.add_subparsers(dest="command", metavar="{serve,migrate,check,create-admin}")
    commands.add_parser(
        "serve",
        help="serve the API (the default)",
        description="Serve the API on HOST:PORT with WORKERS processes. With MIGRATE_ON_START (the default) "
        "the database at DATABASE_URL is first upgraded to the newest schema; if that fails, nothing is "
        "served and the exit code is 1. SIGTERM or SIGINT stops accepting connections, lets requests in "
        "flight finish (up to SHUTDOWN_TIMEOUT seconds), delivers queued events, closes the database "
        "and exits 0.",
        epilog=_SETTINGS_HELP,
    )
    commands.add_parser(
        "migrate",
        help="upgrade the database to the newest schema, then exit",
        description="Upgrade the database at DATABASE_URL to the newest schema and exit: 0 when it is "
        "current, 1 when the database cannot be reached or migrated. Safe to run while the service "
        "is running or from several processes at once (they take turns).",
        epilog=_SETTINGS_HELP,
    )
    commands.add_parser(
        "check",
        aliases=["healthcheck"],
        help="exit 0 if the local server answers /healthz (for container health checks)",
        description="Ask the server at HOST:PORT (127.0.0.1 when HOST is 0.0.0.0 or ::) for /healthz: exit 0 "
        f"when it answers 200 within {CHECK_TIMEOUT_SECONDS:g} s, 1 otherwise. Needs no curl.",
        epilog=_SETTINGS_HELP,
    )
    admin_cli.add_arguments(
        commands.add_parser(
            "create-admin",
            help="create an admin (or find it) and print a new API key of it alone on stdout",
            description=admin_cli.DESCRIPTION,
            epilog=_SETTINGS_HELP,
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"taskservice: {error}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    match args.command:
        case "migrate":
            return migrate(settings)
        case "check" | "healthcheck":
            return check(settings)
        case "create-admin":
            return admin_cli.create_admin(settings, args.email, args.name)
        case _:
            return serve(settings)


def serve(settings: Settings) -> int:
    from taskservice.logs import configure_logging
    from taskservice.metrics_dir import shared_metrics_dir

    configure_logging(settings)
    structlog.get_logger("taskservice").info(
        "starting",
        app_env=settings.app_env.value,
        database=settings.redacted_database_url,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.value,
        rate_limit="off" if settings.rate_limit is None else "{1}/{0}".format(*settings.rate_limit),
        rate_limit_store=settings.redacted_rate_limit_store,
    )
    # Migrate here, once, before any worker starts and before the port is bound: a database
    # that is down is then one clear line and exit 1, not a traceback from every worker.
    if settings.migrate_on_start and not _upgrade_database(settings):
        return EXIT_DATABASE

    from taskservice.server.run import run_server

    if settings.jwt_secret is None and settings.workers > 1:
        # dev/test without JWT_SECRET: one secret for this start, shared by every worker (they read
        # the environment), so that a token signed by one worker is valid on the others.
        os.environ["JWT_SECRET"] = secrets.token_urlsafe(48)
    # uvicorn re-raises the signal that stopped it once it has shut down gracefully, to get the
    # signal's default action; for SIGTERM that is death by signal (exit 143), which would turn
    # a clean stop into a failure for the container runtime. The work is done by then: exit 0.
    # (SIGINT already ends as a KeyboardInterrupt that uvicorn swallows.) A SIGTERM in the
    # instant before uvicorn installs its own handlers lands here too and simply ends start-up.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # Every worker writes its metrics there, so that /metrics adds them all up (metrics_dir.py).
    with shared_metrics_dir(settings.workers):
        run_server(settings)  # uvicorn, its settings and its supervisor: taskservice/server/
    return 0


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def migrate(settings: Settings) -> int:
    from taskservice.logs import configure_logging

    configure_logging(settings)
    return 0 if _upgrade_database(settings) else EXIT_DATABASE


def _upgrade_database(settings: Settings) -> bool:
    """Upgrade the database to head; on failure log one line (no password) and return False."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from taskservice.bootstrap import build_store
    from taskservice.domain.errors import StorageUnavailable

    log = structlog.get_logger("taskservice")
    if settings.database_url == MEMORY_URL:
        log.info("nothing_to_migrate", database=MEMORY_URL)
        return True

    async def run() -> None:
        store = build_store(settings)
        try:
            await store.open(migrate=True)
        finally:
            await store.close()

    try:
        asyncio.run(run())
    except Exception as error:  # whatever it is, the operator gets one line and nothing is served
        if not isinstance(error, StorageUnavailable | CommandError | SQLAlchemyError | OSError | RuntimeError):
            log.debug("database_not_ready_traceback", exc_info=error)  # unexpected: keep it findable in dev
        log.error(
            "database_not_ready",
            database=settings.redacted_database_url,
            reason=_root_cause(error, settings),
            hint="check DATABASE_URL and that the database is up",
        )
        return False
    log.info("database_at_newest_schema", database=settings.redacted_database_url)
    return True


def _root_cause(error: BaseException, settings: Settings) -> str:
    """`Type: message` of the innermost cause, on one line, with the database password removed."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = " ".join(f"{type(error).__name__}: {error}".split())
    password = _password(settings.database_url)
    return text.replace(password, "***") if password else text


def _password(database_url: str) -> str | None:
    from sqlalchemy.engine import make_url

    return None if database_url == MEMORY_URL else make_url(database_url).password


def check(settings: Settings) -> int:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104 - the wildcard binds
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=CHECK_TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {url}: {error}")
        return 1
    print(f"{'healthy' if healthy else 'unhealthy'}: {url}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
