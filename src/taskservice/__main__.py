"""The `taskservice` command: serve (default), migrate, check."""

import argparse
import asyncio
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

import structlog

from taskservice.settings import MEMORY_URL, Settings, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="taskservice",
        description="The team's canonical list of tasks over HTTP/JSON. Settings come from the "
        "environment, .env and .env.<APP_ENV> (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="{serve,migrate,check}")
    commands.add_parser("serve", help="serve the API (the default): HOST, PORT, WORKERS, DATABASE_URL, ...")
    commands.add_parser("migrate", help="upgrade the database at DATABASE_URL to the newest schema, then exit")
    commands.add_parser(
        "check", help="exit 0 if the server at HOST:PORT answers /healthz, 1 otherwise (container health check)"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"taskservice: {error}", file=sys.stderr)
        return 2
    match args.command:
        case "migrate":
            return migrate(settings)
        case "check":
            return check(settings)
        case _:
            return serve(settings)


def serve(settings: Settings) -> int:
    import uvicorn

    from taskservice.logs import configure_logging

    configure_logging(settings)
    structlog.get_logger("taskservice").info(
        "starting",
        app_env=settings.app_env.value,
        database=settings.redacted_database_url,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
    )
    uvicorn.run(
        "taskservice.bootstrap:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,  # our middleware writes the one access line
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        server_header=False,
    )
    return 0


def migrate(settings: Settings) -> int:
    from taskservice.adapters.sql.migrations import upgrade_to_head
    from taskservice.bootstrap import build_engine
    from taskservice.logs import configure_logging

    configure_logging(settings)
    log = structlog.get_logger("taskservice")
    if settings.database_url == MEMORY_URL:
        log.info("nothing_to_migrate", database=MEMORY_URL)
        return 0

    async def run() -> None:
        engine = build_engine(settings)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    log.info("migrated", database=settings.redacted_database_url)
    return 0


def check(settings: Settings) -> int:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    url = f"http://{host}:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
