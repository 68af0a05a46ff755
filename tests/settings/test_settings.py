"""Settings: layered sources, typed values, and one clear line for every bad value."""

from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskservice.settings import AppEnv, LogLevel, Settings, SettingsError, load_settings

NOWHERE = Path("/nonexistent")
SECRET = "a-secret-of-at-least-32-bytes-for-tokens"
EVERY_VARIABLE = [field.upper() for field in Settings.__struct_fields__]


def load(**environ: str) -> Settings:
    return load_settings(environ, env_dir=NOWHERE)


def refusal(**environ: str) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        load(**environ)
    return caught.value


def test_defaults_serve_dev_on_a_sqlite_file_in_the_working_directory() -> None:
    settings = load()
    assert settings == Settings()
    assert settings.app_env is AppEnv.DEV
    assert settings.log_level is LogLevel.DEBUG
    assert settings.database_url == "sqlite+aiosqlite:///taskservice.db"
    assert (settings.api_prefix, settings.port, settings.default_list_limit, settings.max_list_limit) == (
        "/v1",
        8000,
        100,
        500,
    )


@pytest.mark.parametrize(
    ("app_env", "level", "json_logs"),
    [("dev", "DEBUG", False), ("test", "WARNING", False), ("qa", "INFO", True), ("prod", "INFO", True)],
)
def test_each_environment_has_its_default_log_level_and_format(app_env: str, level: str, json_logs: bool) -> None:
    settings = load(APP_ENV=app_env, JWT_SECRET=SECRET)
    assert settings.log_level.value == level
    assert settings.json_logs is json_logs
    assert settings.is_dev is (app_env == "dev")


def test_process_environment_beats_env_app_env_file_which_beats_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"APP_ENV=qa\nPORT=8001\nWORKERS=2\nAPI_PREFIX=/base\nJWT_SECRET={SECRET}\n")
    (tmp_path / ".env.qa").write_text("PORT=8002\nWORKERS=3\n")
    (tmp_path / ".env.prod").write_text("PORT=9999\n")  # not the chosen environment: never read
    settings = load_settings({"WORKERS": "4"}, env_dir=tmp_path)
    assert settings.app_env is AppEnv.QA
    assert (settings.api_prefix, settings.port, settings.workers) == ("/base", 8002, 4)


def test_app_env_from_the_process_environment_chooses_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"APP_ENV=qa\nJWT_SECRET={SECRET}\n")
    (tmp_path / ".env.prod").write_text("PORT=9000\n")
    settings = load_settings({"APP_ENV": "PROD"}, env_dir=tmp_path)
    assert (settings.app_env, settings.port) == (AppEnv.PROD, 9000)


def test_values_are_typed_and_trimmed() -> None:
    settings = load(
        LOG_LEVEL=" warning ",
        PORT="8080",
        MIGRATE_ON_START="off",
        SHUTDOWN_TIMEOUT="2.5",
        API_PREFIX="/",
        DATABASE_URL="memory://",
    )
    assert settings.log_level is LogLevel.WARNING
    assert (settings.port, settings.migrate_on_start, settings.shutdown_timeout) == (8080, False, 2.5)
    assert settings.api_prefix == ""
    assert settings.database_url == "memory://"


@pytest.mark.parametrize(
    ("given_url", "read_as"),
    [
        ("postgresql://app:pw@db:5432/tasks", "postgresql+asyncpg://app:pw@db:5432/tasks"),
        ("postgres://app@db/tasks", "postgresql+asyncpg://app@db/tasks"),
        ("sqlite:///data/tasks.db", "sqlite+aiosqlite:///data/tasks.db"),
        ("postgresql+asyncpg://app@db/tasks", "postgresql+asyncpg://app@db/tasks"),
    ],
)
def test_common_database_schemes_are_read_as_the_async_drivers(given_url: str, read_as: str) -> None:
    assert load(DATABASE_URL=given_url).database_url == read_as


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("APP_ENV", "staging", "expected one of dev, test, qa, prod"),
        ("PORT", "abc", "expected a whole number from 0 to 65535"),
        ("PORT", "70000", "expected a whole number from 0 to 65535"),
        ("PORT", "+80", "expected a whole number from 0 to 65535"),
        ("LOG_LEVEL", "loud", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("DATABASE_URL", "mysql://u@h/db", "expected memory://, sqlite+aiosqlite:///PATH or postgresql+asyncpg://"),
        ("DATABASE_URL", "not a url", "expected memory://"),
        ("DATABASE_URL", "postgresql+asyncpg://u@h", "a PostgreSQL URL needs a database name"),
        ("DATABASE_URL", "sqlite+aiosqlite://", "a SQLite URL needs a file path"),
        ("WORKERS", "0", "expected a whole number from 1 to 64"),
        ("MIGRATE_ON_START", "maybe", "expected true or false"),
        ("SHUTDOWN_TIMEOUT", "0", "greater than 0"),
        ("READINESS_TIMEOUT", "nan", "greater than 0"),
        ("API_PREFIX", "v1/", "expected a path like /v1"),
        ("MAX_BODY_BYTES", "10", "expected a whole number from 1024"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_accepts(
    variable: str, value: str, allowed: str
) -> None:
    error = refusal(**{variable: value})
    assert error.variable == variable
    message = str(error)
    assert message.startswith(f"invalid setting {variable}: ")
    assert allowed in message
    assert "\n" not in message


# An empty list is a value: CORS_ORIGINS= turns CORS off (test_cors_origins.py), METRICS_TOKEN= opens
# /metrics again (test_metrics_token.py), OTEL_EXPORTER_OTLP_ENDPOINT= turns tracing off, as
# OpenTelemetry's SDK reads it (test_otlp_endpoint.py), and JWT_SECRET= is none, as if unset
# (test_auth_settings.py).
_EMPTY_IS_A_VALUE = ("CORS_ORIGINS", "METRICS_TOKEN", "OTEL_EXPORTER_OTLP_ENDPOINT", "JWT_SECRET")


@pytest.mark.parametrize("variable", [name for name in EVERY_VARIABLE if name not in _EMPTY_IS_A_VALUE])
def test_an_empty_value_is_refused_for_every_other_setting(variable: str) -> None:
    error = refusal(**{variable: ""})
    assert error.variable == variable
    assert "the value is empty (unset it to use the default); expected " in str(error)


def test_a_max_list_limit_below_the_default_names_max_list_limit() -> None:
    error = refusal(MAX_LIST_LIMIT="50")
    assert error.variable == "MAX_LIST_LIMIT"
    assert str(error) == ("invalid setting MAX_LIST_LIMIT: 50 is below DEFAULT_LIST_LIMIT (100); expected at least 100")


def test_a_default_list_limit_above_the_max_names_default_list_limit() -> None:
    error = refusal(DEFAULT_LIST_LIMIT="600")
    assert error.variable == "DEFAULT_LIST_LIMIT"
    assert "expected at most 500" in str(error)


def test_equal_default_and_max_list_limits_are_accepted() -> None:
    settings = load(DEFAULT_LIST_LIMIT="20", MAX_LIST_LIMIT="20")
    assert (settings.default_list_limit, settings.max_list_limit) == (20, 20)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://app:s3cr3t-pw@db/",
        "mysql://app:s3cr3t-pw@db/tasks",
        "postgresql+asyncpg://app:s3cr3t-pw@db:notaport/tasks",
    ],
)
def test_the_database_password_never_appears_in_an_error(url: str) -> None:
    error = refusal(DATABASE_URL=url)
    assert error.variable == "DATABASE_URL"
    assert "s3cr3t-pw" not in str(error)


def test_the_redacted_database_url_masks_the_password() -> None:
    settings = load(DATABASE_URL="postgresql://app:s3cr3t-pw@db:5432/tasks")
    assert settings.redacted_database_url == "postgresql+asyncpg://app:***@db:5432/tasks"
    assert load(DATABASE_URL="memory://").redacted_database_url == "memory://"


@given(st.integers(min_value=0, max_value=65535))
def test_every_port_in_range_is_accepted(port: int) -> None:
    assert load(PORT=str(port)).port == port


@given(st.text(max_size=8).filter(lambda s: not s.strip().isdigit()))
def test_anything_but_a_whole_number_is_refused_as_a_port(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^invalid setting PORT: "):
        load(PORT=raw)


def test_unrelated_keys_in_env_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=only-for-compose\nPORT=8123\n")
    assert load_settings({}, env_dir=tmp_path).port == 8123


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        load().port = 1  # type: ignore[misc]
    assert msgspec.structs.asdict(load())["port"] == 8000


@pytest.mark.parametrize(
    "database_url", ["sqlite+aiosqlite:///:memory:", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"]
)
def test_an_in_memory_sqlite_url_is_served_by_the_in_memory_store(database_url: str) -> None:
    assert load(DATABASE_URL=database_url).database_url == "memory://"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("*", "*"), ("10.0.0.5", "10.0.0.5"), (" 172.16.0.0/12 , ::1 ", "172.16.0.0/12,::1")],
)
def test_forwarded_allow_ips_takes_star_or_addresses_and_networks(raw: str, expected: str) -> None:
    assert load(FORWARDED_ALLOW_IPS=raw).forwarded_allow_ips == expected


def test_forwarded_allow_ips_refuses_a_host_name() -> None:
    assert refusal(FORWARDED_ALLOW_IPS="proxy.internal").variable == "FORWARDED_ALLOW_IPS"
