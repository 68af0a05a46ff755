"""Probes and scrapes come every few seconds: /readyz and /metrics are counted in the metrics but
write their access line only at DEBUG, in the JSON (qa/prod) and the console (dev) formats."""

import re

import pytest

from taskservice.adapters.memory import MemoryStore
from tests.conftest import make_settings
from tests.ops.test_logs import access_lines, json_lines, serve_requests

CALLS = [("GET", "/readyz"), ("GET", "/metrics"), ("HEAD", "/readyz"), ("GET", "/healthz"), ("GET", "/v1/tasks")]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("app_env", ["prod", "qa"])
async def test_at_info_readyz_and_metrics_write_no_access_line(
    capsys: pytest.CaptureFixture[str], app_env: str
) -> None:
    settings = make_settings(APP_ENV=app_env, DATABASE_URL="memory://", LOG_LEVEL="INFO")
    await serve_requests(MemoryStore(), *CALLS, settings=settings)
    access = access_lines(json_lines(capsys.readouterr().out))
    assert [(a["path"], a["level"]) for a in access] == [("/healthz", "info"), ("/v1/tasks", "info")]


@pytest.mark.usefixtures("restore_logging")
async def test_at_debug_readyz_and_metrics_write_their_access_line_at_debug(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(APP_ENV="prod", DATABASE_URL="memory://", LOG_LEVEL="DEBUG")
    await serve_requests(MemoryStore(), *CALLS, settings=settings)
    access = access_lines(json_lines(capsys.readouterr().out))
    assert [(a["method"], a["path"], a["status"], a["level"]) for a in access] == [
        ("GET", "/readyz", 200, "debug"),
        ("GET", "/metrics", 200, "debug"),
        ("HEAD", "/readyz", 200, "debug"),
        ("GET", "/healthz", 200, "info"),
        ("GET", "/v1/tasks", 200, "info"),
    ]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "quiet_lines"), [("INFO", 0), ("DEBUG", 2)])
async def test_the_dev_console_follows_the_same_rule(
    capsys: pytest.CaptureFixture[str], level: str, quiet_lines: int
) -> None:
    settings = make_settings(APP_ENV="dev", DATABASE_URL="memory://", LOG_LEVEL=level)
    await serve_requests(MemoryStore(), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/healthz"), settings=settings)
    lines = capsys.readouterr().out.splitlines()
    quiet = [line for line in lines if re.search(r"\[debug\s*\] request .* path=/(readyz|metrics) ", line)]
    assert len(quiet) == quiet_lines
    assert len([line for line in lines if re.search(r"\[info\s*\] request .* path=/healthz ", line)]) == 1
