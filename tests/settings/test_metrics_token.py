"""METRICS_TOKEN: /metrics is open unless set; a bad value is one line naming the variable, and
never shows the value (it is a secret, and a near miss of the real one is as good as it)."""

from pathlib import Path

import pytest

from taskservice.settings import SettingsError, load_settings


def load_token(raw: str | None) -> str | None:
    environ = {} if raw is None else {"METRICS_TOKEN": raw}
    return load_settings(environ, env_dir=Path("/nonexistent")).metrics_token


def test_metrics_are_open_by_default_and_when_the_token_is_empty() -> None:
    assert load_token(None) is load_token("") is load_token("   ") is None


@pytest.mark.parametrize("token", ["0123456789abcdef", "a-B_c.d~e+f/g=h" + "x" * 10, "f" * 64])
def test_a_token_of_bearer_characters_is_read_as_given(token: str) -> None:
    assert load_token(f" {token} ") == token


@pytest.mark.parametrize("raw", ["short-token", "has a space in it!!", 'quote"0123456789abcdef', "é" * 20])
def test_a_bad_token_is_one_line_naming_the_variable_without_its_value(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_token(raw)
    message = str(caught.value)
    assert caught.value.variable == "METRICS_TOKEN"
    assert message.startswith("invalid setting METRICS_TOKEN: ")
    assert "\n" not in message
    assert raw.strip() not in message
