"""CORS_ORIGINS: off unless set; each origin as a browser sends it, or one line naming the variable."""

from pathlib import Path

import pytest

from taskservice.settings import SettingsError, load_settings


def load_origins(raw: str | None) -> tuple[str, ...]:
    environ = {} if raw is None else {"CORS_ORIGINS": raw}
    return load_settings(environ, env_dir=Path("/nonexistent")).cors_origins


def test_cors_is_off_by_default_and_when_empty() -> None:
    assert load_origins(None) == load_origins("") == load_origins("  ") == ()


def test_origins_are_read_comma_separated_and_trimmed() -> None:
    assert load_origins(" https://app.example.com, http://localhost:3000 ") == (
        "https://app.example.com",
        "http://localhost:3000",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "app.example.com",
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://App.example.com",
        "https://*.example.com",
        "*",
        "ftp://app.example.com",
        "https://app.example.com,,https://other.example.com",
        "https://user@app.example.com",
        "https://app.example.com:port",
    ],
)
def test_a_bad_origin_is_one_line_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_origins(raw)
    assert caught.value.variable == "CORS_ORIGINS"
    assert str(caught.value).startswith("invalid setting CORS_ORIGINS: ")
    assert "\n" not in str(caught.value)
