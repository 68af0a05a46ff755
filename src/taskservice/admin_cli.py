"""`taskservice create-admin --email E [--name N]`: the operator's way to the first API key.

It opens the database DATABASE_URL names (migrating it first when MIGRATE_ON_START allows, as
serving does), creates an admin with that email, or finds the admin who has it, and stores a new
API key for it. The key is printed **alone on stdout**, one line, so that
`TOKEN=$(taskservice create-admin --email E)` captures exactly it; everything else (log lines,
what happened, errors) goes to stderr. Exit codes: 0 a key was printed; 1 the database could
not be opened or migrated; 2 a bad setting (as every command); 3 refused: a `memory://` store,
an invalid email or name, or an email of a user who is not an active admin.
"""

import argparse
import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Final, TextIO

from taskservice.settings import MEMORY_URL, Settings

if TYPE_CHECKING:
    from taskservice.usecases.first_admin import AdminKey

EXIT_DATABASE: Final = 1
EXIT_REFUSED: Final = 3
DEFAULT_NAME: Final = "Admin"
KEY_NAME: Final = "create-admin"

DESCRIPTION: Final = (
    "Create an admin with this email (without a password: it signs in with API keys), or find the admin "
    "who has it, and store a new API key for it. The key is printed alone on stdout, one line; everything "
    "else goes to stderr. Works on the database at DATABASE_URL (migrated first when MIGRATE_ON_START, the "
    "default, allows); a memory:// store lives inside one process, so there the only admin is the one a dev "
    "start prints. Exit codes: 0 a key was printed, 1 the database could not be opened or migrated, 2 a bad "
    "setting, 3 refused (memory://, an invalid email or name, or an email of a user who is not an active admin)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True, help="the admin's email (unique, case-insensitively)")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"its name if it is created (default: {DEFAULT_NAME})")


def create_admin(settings: Settings, email: str, name: str) -> int:
    """The command: returns its exit code. Only the key is ever written to stdout.

    The store and the use cases are imported here, when the command runs: building the parser
    (and so `taskservice check`) must not load the server's libraries."""
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # log lines follow sys.stdout (logs.py): here, stderr
        return _create_admin(settings, email, name, out)


def _create_admin(settings: Settings, email: str, name: str, out: TextIO) -> int:
    if settings.database_url == MEMORY_URL:
        _say(
            "DATABASE_URL is memory://, and a memory store lives inside one process: an admin made here would "
            "be gone when this command exits. Start the service with APP_ENV=dev (its first start prints an "
            "admin key), or set DATABASE_URL to the database the service uses."
        )
        return EXIT_REFUSED
    import structlog
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from taskservice.domain.errors import DomainError, DuplicateUser, InvalidField, StorageUnavailable
    from taskservice.logs import configure_logging
    from taskservice.usecases.first_admin import NotAnAdmin

    configure_logging(settings)
    try:
        admin = asyncio.run(_ensure_admin(settings, email, name))
    except (NotAnAdmin, InvalidField) as refused:
        _say(f"refused: {refused}")
        return EXIT_REFUSED
    except DuplicateUser:
        _say(f"refused: {email} was created by another process meanwhile; run the command again for a key.")
        return EXIT_REFUSED
    except (StorageUnavailable, SQLAlchemyError, CommandError, OSError, DomainError) as error:
        structlog.get_logger("taskservice").error(
            "database_not_ready",
            database=settings.redacted_database_url,
            reason=_reason(error, settings),
            hint="check DATABASE_URL and that the database is up",
        )
        return EXIT_DATABASE
    user = admin.user
    done = "created admin" if admin.created else "a new API key for the existing admin"
    _say(f"{done} {user.email} (user {user.id}); its key follows on stdout and is shown only this once.")
    print(admin.issued.secret, file=out, flush=True)
    return 0


async def _ensure_admin(settings: Settings, email: str, name: str) -> "AdminKey":
    from taskservice.adapters.clock import SystemClock
    from taskservice.adapters.credentials import new_api_key
    from taskservice.bootstrap import build_store
    from taskservice.usecases.first_admin import FirstAdmin

    store = build_store(settings)
    await store.open(migrate=settings.migrate_on_start)
    try:
        return await FirstAdmin(store.unit_of_work, SystemClock(), new_api_key).ensure(email, name, key_name=KEY_NAME)
    finally:
        await store.close()


def _say(message: str) -> None:
    print(f"taskservice create-admin: {message}", file=sys.stderr, flush=True)


def _reason(error: BaseException, settings: Settings) -> str:
    """`Type: message` of the innermost cause, on one line, without the database password."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = " ".join(f"{type(error).__name__}: {error}".split())
    from sqlalchemy.engine import make_url

    password = make_url(settings.database_url).password
    return text.replace(password, "***") if password else text
