"""Typed settings, read once at start-up from `.env`, `.env.<APP_ENV>` and the process environment:
each variable is converted on its own, so a bad value is one line naming it and what it accepts."""

import enum
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TypeVar

import msgspec
from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from taskservice.setting_values import (
    Secret,
    boolean,
    enum_of,
    host_name,
    origins,
    path_prefix,
    seconds,
    seconds_or_zero,
    secret,
    whole_number,
)

T = TypeVar("T")


class AppEnv(enum.StrEnum):
    DEV = "dev"
    TEST = "test"
    QA = "qa"
    PROD = "prod"


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


DEFAULT_LOG_LEVELS: Final = {
    AppEnv.DEV: LogLevel.DEBUG,
    AppEnv.TEST: LogLevel.WARNING,
    AppEnv.QA: LogLevel.INFO,
    AppEnv.PROD: LogLevel.INFO,
}
MEMORY_URL: Final = "memory://"
DEFAULT_DATABASE_FILE: Final = "taskservice.db"
_SQLITE, _POSTGRES = "sqlite+aiosqlite", "postgresql+asyncpg"
_SUPPORTED_DRIVERS: Final = (_SQLITE, _POSTGRES)
_DRIVER_ALIASES: Final = {"postgresql": _POSTGRES, "postgres": _POSTGRES, "sqlite": _SQLITE}


class SettingsError(ValueError):
    """A setting has a value the service cannot start with. `str()` is the one line to print."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"invalid setting {variable}: {problem}")
        self.variable = variable


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    app_env: AppEnv = AppEnv.DEV
    log_level: LogLevel = LogLevel.DEBUG
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATABASE_FILE}"
    migrate_on_start: bool = True
    api_prefix: str = "/v1"
    default_list_limit: int = 100
    max_list_limit: int = 500
    max_body_bytes: int = 64 * 1024
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    db_pool_size: int = 10
    db_pool_timeout: float = 5.0
    db_statement_timeout: float = 5.0
    readiness_timeout: float = 2.0
    request_timeout: float = 30.0
    shutdown_timeout: float = 10.0
    event_queue_size: int = 10_000
    cors_origins: tuple[str, ...] = ()  # none: CORS is off
    jwt_secret: Secret | None = None  # None (dev/test only): a random one per start
    access_token_ttl: int = 900
    auth_cache_ttl: float = 5.0

    @property
    def is_dev(self) -> bool:
        return self.app_env is AppEnv.DEV

    @property
    def json_logs(self) -> bool:
        return self.app_env in (AppEnv.QA, AppEnv.PROD)

    @property
    def redacted_database_url(self) -> str:
        return redact_url(self.database_url)


def redact_url(url: str) -> str:
    """The URL with any password masked, safe to log."""
    if url == MEMORY_URL:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        return "<unparsable URL>"


def load_settings(environ: Mapping[str, str] | None = None, *, env_dir: Path | None = None) -> Settings:
    """Read `.env`, then `.env.<APP_ENV>`, then `environ` (highest). Raises `SettingsError`."""
    environ = os.environ if environ is None else environ
    env_dir = Path.cwd() if env_dir is None else env_dir
    base = _read_env_file(env_dir / ".env")
    app_env = _parse("APP_ENV", environ.get("APP_ENV", base.get("APP_ENV")), enum_of(AppEnv, lower=True), AppEnv.DEV)
    values = {**base, **_read_env_file(env_dir / f".env.{app_env.value}"), **environ}

    def get(name: str, convert: Callable[[str], T], default: T) -> T:
        return _parse(name, values.get(name), convert, default)

    defaults = Settings()
    settings = Settings(
        app_env=app_env,
        log_level=get("LOG_LEVEL", enum_of(LogLevel, upper=True), DEFAULT_LOG_LEVELS[app_env]),
        database_url=get("DATABASE_URL", _database_url, defaults.database_url),
        migrate_on_start=get("MIGRATE_ON_START", boolean, defaults.migrate_on_start),
        api_prefix=get("API_PREFIX", path_prefix, defaults.api_prefix),
        default_list_limit=get("DEFAULT_LIST_LIMIT", whole_number(1, 1_000_000), defaults.default_list_limit),
        max_list_limit=get("MAX_LIST_LIMIT", whole_number(1, 1_000_000), defaults.max_list_limit),
        max_body_bytes=get("MAX_BODY_BYTES", whole_number(1024, 64 * 1024 * 1024), defaults.max_body_bytes),
        host=get("HOST", host_name, defaults.host),
        port=get("PORT", whole_number(0, 65535), defaults.port),
        workers=get("WORKERS", whole_number(1, 64), defaults.workers),
        db_pool_size=get("DB_POOL_SIZE", whole_number(1, 1000), defaults.db_pool_size),
        db_pool_timeout=get("DB_POOL_TIMEOUT", seconds, defaults.db_pool_timeout),
        db_statement_timeout=get("DB_STATEMENT_TIMEOUT", seconds, defaults.db_statement_timeout),
        readiness_timeout=get("READINESS_TIMEOUT", seconds, defaults.readiness_timeout),
        request_timeout=get("REQUEST_TIMEOUT", seconds, defaults.request_timeout),
        shutdown_timeout=get("SHUTDOWN_TIMEOUT", seconds, defaults.shutdown_timeout),
        event_queue_size=get("EVENT_QUEUE_SIZE", whole_number(1, 10_000_000), defaults.event_queue_size),
        cors_origins=get("CORS_ORIGINS", origins, defaults.cors_origins),
        jwt_secret=get("JWT_SECRET", secret, None),
        access_token_ttl=get("ACCESS_TOKEN_TTL", whole_number(60, 86_400), defaults.access_token_ttl),
        auth_cache_ttl=get("AUTH_CACHE_TTL", seconds_or_zero, defaults.auth_cache_ttl),
    )
    if settings.jwt_secret is None and app_env in (AppEnv.QA, AppEnv.PROD):
        raise SettingsError(
            "JWT_SECRET", f"required when APP_ENV is {app_env.value} (at least 32 bytes of random text)"
        )
    if settings.default_list_limit > settings.max_list_limit:
        # Name the one the operator set: that is the one to fix.
        if "MAX_LIST_LIMIT" in values:
            raise SettingsError(
                "MAX_LIST_LIMIT",
                f"{settings.max_list_limit} is below DEFAULT_LIST_LIMIT ({settings.default_list_limit}); "
                f"expected at least {settings.default_list_limit}",
            )
        raise SettingsError(
            "DEFAULT_LIST_LIMIT",
            f"{settings.default_list_limit} is above MAX_LIST_LIMIT ({settings.max_list_limit}); "
            f"expected at most {settings.max_list_limit}",
        )
    if settings.workers > 1 and settings.database_url == MEMORY_URL:
        raise SettingsError(
            "WORKERS",
            f"{settings.workers} workers cannot share an in-memory database (each would hold its own tasks); "
            "use WORKERS=1, a SQLite file or PostgreSQL",
        )
    return settings


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _parse(name: str, raw: str | None, convert: Callable[[str], T], default: T) -> T:
    if raw is None:
        return default
    value = raw.strip()
    try:
        return convert(value)
    except ValueError as error:
        if not value:
            raise SettingsError(name, f"the value is empty (unset it to use the default); {error}") from None
        shown = redact_url(value) if name == "DATABASE_URL" else "<hidden>" if name == "JWT_SECRET" else repr(value)
        raise SettingsError(name, f"{shown} is not valid; {error}") from None


def _database_url(raw: str) -> str:
    if raw == MEMORY_URL:
        return raw
    hint = (
        f"expected {MEMORY_URL}, sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME"
        " (postgresql:// and sqlite:// are read as those drivers)"
    )
    try:
        url: URL = make_url(raw)
    except (ArgumentError, ValueError):
        raise ValueError(hint) from None
    if url.drivername in _DRIVER_ALIASES:
        # The scheme most tools write (compose files, managed databases) means the same database.
        url = url.set(drivername=_DRIVER_ALIASES[url.drivername])
        raw = url.render_as_string(hide_password=False)
    if url.drivername not in _SUPPORTED_DRIVERS:
        raise ValueError(hint)
    if url.drivername.startswith("sqlite") and not url.database:
        raise ValueError("a SQLite URL needs a file path or :memory: (sqlite+aiosqlite:///tasks.db)")
    if url.drivername.startswith("postgresql") and not url.database:
        raise ValueError("a PostgreSQL URL needs a database name")
    # An in-memory SQLite database is as throw-away as the in-memory store, which is what serves it.
    return MEMORY_URL if url.database == ":memory:" or "mode=memory" in raw else raw
