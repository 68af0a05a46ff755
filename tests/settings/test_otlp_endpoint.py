"""OTEL_EXPORTER_OTLP_ENDPOINT: tracing off unless set; the collector's OTLP/HTTP base URL, or one
line naming the variable."""

from pathlib import Path

import pytest

from taskservice.settings import SettingsError, load_settings


def load_endpoint(raw: str | None, env_dir: Path = Path("/nonexistent")) -> str | None:
    environ = {} if raw is None else {"OTEL_EXPORTER_OTLP_ENDPOINT": raw}
    return load_settings(environ, env_dir=env_dir).otel_exporter_otlp_endpoint


def test_tracing_is_off_by_default_and_when_empty() -> None:
    assert load_endpoint(None) is load_endpoint("") is load_endpoint("  ") is None


@pytest.mark.parametrize(
    ("raw", "endpoint"),
    [
        ("http://otel-collector:4318", "http://otel-collector:4318"),
        ("https://collector.example.com/", "https://collector.example.com"),
        ("http://127.0.0.1:4318/otlp/", "http://127.0.0.1:4318/otlp"),
    ],
)
def test_the_base_url_is_kept_without_a_trailing_slash(raw: str, endpoint: str) -> None:
    assert load_endpoint(raw) == endpoint


def test_a_dotenv_file_can_turn_tracing_on(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\n")
    assert load_endpoint(None, tmp_path) == "http://collector:4318"


@pytest.mark.parametrize(
    "raw", ["collector:4318", "grpc://collector:4317", "http://", "http://collector:port", "http://c:4318/?x=1"]
)
def test_anything_but_an_http_url_is_refused_in_one_line_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_endpoint(raw)
    assert caught.value.variable == "OTEL_EXPORTER_OTLP_ENDPOINT"
    assert "expected the collector's OTLP/HTTP base URL" in str(caught.value)
    assert "\n" not in str(caught.value)
