"""RATE_LIMIT and RATE_LIMIT_STORE: what they accept, and one line for what they do not."""

from pathlib import Path

import pytest

from taskservice.settings import Settings, SettingsError, load_settings


def load(**environ: str) -> Settings:
    return load_settings(environ, env_dir=Path("/nonexistent"))


def test_by_default_each_caller_has_6000_a_minute_counted_in_memory() -> None:
    settings = load()
    assert (settings.rate_limit, settings.rate_limit_store) == (("minute", 6000), "memory")


@pytest.mark.parametrize(
    ("raw", "limit"),
    [
        ("10/second", ("second", 10)),
        ("6000/minute", ("minute", 6000)),
        (" 100/Hour ", ("hour", 100)),
        ("1/day", ("day", 1)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_a_rate_limit_is_a_count_per_unit_or_off(raw: str, limit: tuple[str, int] | None) -> None:
    assert load(RATE_LIMIT=raw).rate_limit == limit


@pytest.mark.parametrize(
    "raw", ["6000", "6000/min", "0/minute", "-1/minute", "1.5/second", "/minute", "ten/second", "1/week", "١/second"]
)
def test_anything_else_is_one_line_saying_what_is_accepted(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load(RATE_LIMIT=raw)
    assert str(refused.value) == (
        f"invalid setting RATE_LIMIT: {raw.strip()!r} is not valid; "
        "expected N/second, N/minute, N/hour or N/day with N from 1 to 1000000000, or off"
    )


@pytest.mark.parametrize(
    "raw", ["memory", "redis://127.0.0.1:6379/0", "redis://cache", "rediss://user:pw@cache.internal:6380/3"]
)
def test_the_store_is_memory_or_a_redis_url(raw: str) -> None:
    assert load(RATE_LIMIT_STORE=raw).rate_limit_store == raw


@pytest.mark.parametrize(
    "raw", ["redis", "http://cache:6379", "redis://", "redis://cache:port/0", "redis://cache/zero", "postgres://db/x"]
)
def test_another_store_is_refused_in_one_line(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load(RATE_LIMIT_STORE=raw)
    message = str(refused.value)
    assert message.startswith("invalid setting RATE_LIMIT_STORE: ")
    assert message.endswith("expected memory or a Redis URL such as redis://127.0.0.1:6379/0")
    assert "\n" not in message


def test_a_redis_password_never_appears_in_an_error_or_the_redacted_store() -> None:
    with pytest.raises(SettingsError) as refused:
        load(RATE_LIMIT_STORE="redis://app:s3cr3t-pw@cache:notaport/0")
    assert "s3cr3t-pw" not in str(refused.value)
    settings = load(RATE_LIMIT_STORE="redis://app:s3cr3t-pw@cache:6379/0")
    assert settings.redacted_rate_limit_store == "redis://app:***@cache:6379/0"
    assert load().redacted_rate_limit_store == "memory"
