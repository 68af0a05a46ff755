"""JWT_SECRET, ACCESS_TOKEN_TTL and AUTH_CACHE_TTL: required where it matters, never shown."""

from pathlib import Path

import pytest

from taskservice.settings import SettingsError, load_settings

NOWHERE = Path("/nonexistent")
SECRET = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("app_env", ["qa", "prod"])
@pytest.mark.parametrize("given", [{}, {"JWT_SECRET": ""}])
def test_qa_and_prod_refuse_to_start_without_a_secret(app_env: str, given: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"APP_ENV": app_env, **given}, env_dir=NOWHERE)
    assert refused.value.variable == "JWT_SECRET"
    assert "\n" not in str(refused.value)
    assert f"required when APP_ENV is {app_env}" in str(refused.value)


@pytest.mark.parametrize("app_env", ["dev", "test", "qa", "prod"])
def test_a_short_secret_is_refused_without_showing_it(app_env: str) -> None:
    short = SECRET[:-1]
    with pytest.raises(SettingsError) as refused:
        load_settings({"APP_ENV": app_env, "JWT_SECRET": short}, env_dir=NOWHERE)
    assert refused.value.variable == "JWT_SECRET"
    assert "at least 32 bytes" in str(refused.value)
    assert short not in str(refused.value)


@pytest.mark.parametrize("app_env", ["dev", "test"])
def test_dev_and_test_start_without_one(app_env: str) -> None:
    assert load_settings({"APP_ENV": app_env}, env_dir=NOWHERE).jwt_secret is None


def test_the_secret_never_shows_in_a_repr() -> None:
    settings = load_settings({"APP_ENV": "prod", "JWT_SECRET": SECRET}, env_dir=NOWHERE)
    assert settings.jwt_secret == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_token_and_cache_lifetimes() -> None:
    defaults = load_settings({}, env_dir=NOWHERE)
    assert (defaults.access_token_ttl, defaults.auth_cache_ttl) == (900, 5.0)
    settings = load_settings({"ACCESS_TOKEN_TTL": "60", "AUTH_CACHE_TTL": "0"}, env_dir=NOWHERE)
    assert (settings.access_token_ttl, settings.auth_cache_ttl) == (60, 0.0)
    for variable, value in [("ACCESS_TOKEN_TTL", "59"), ("ACCESS_TOKEN_TTL", "1.5"), ("AUTH_CACHE_TTL", "-1")]:
        with pytest.raises(SettingsError) as refused:
            load_settings({variable: value}, env_dir=NOWHERE)
        assert refused.value.variable == variable
