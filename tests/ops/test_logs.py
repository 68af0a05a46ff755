"""The log pipeline as an operator reads it: one format, one access line per request, request ids."""

import asyncio
import json
import logging
import re
import warnings
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import structlog

from taskservice.adapters.listeners import EVENT_LOGGER_NAME, EventLog
from taskservice.logs import access_log, configure_logging
from taskservice.ports.unit_of_work import Store
from taskservice.request_context import set_request_id
from taskservice.settings import Settings
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.events.test_registry_and_payloads import sample_events
from tests.ops.fakes import ChattyOnGet, CrashingOnGet

ACCESS_KEYS = {"request_id", "method", "path", "status", "duration_ms", "client"}


def json_lines(captured: str) -> list[dict[str, Any]]:
    lines = [line for line in captured.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is JSON, or this raises


def access_lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("logger") == "taskservice.access"]


async def serve_requests(store: Store, *calls: tuple[str, str], settings: Settings | None = None) -> list[str]:
    """Run the real app (in prod mode unless `settings`) on `store`; the X-Request-ID of each call."""
    settings = settings or make_settings(APP_ENV="prod", DATABASE_URL="memory://")
    configure_logging(settings)
    ids: list[str] = []
    async with admin_client(settings, store=store) as client:
        for method, path in calls:
            response = await client.request(method, path, json={"title": "t", "priority": 1})
            ids.append(response.headers["x-request-id"])
    return ids


@pytest.mark.usefixtures("restore_logging")
async def test_prod_writes_one_json_access_line_per_request_including_router_404_and_405(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = [("POST", "/v1/tasks"), ("GET", "/v1/tasks/1"), ("GET", "/nope"), ("DELETE", "/v1/tasks")]
    ids = await serve_requests(ChattyOnGet(), *calls, ("GET", "/healthz"))
    records = json_lines(capsys.readouterr().out)
    access = access_lines(records)
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("POST", "/v1/tasks", 201),
        ("GET", "/v1/tasks/1", 200),
        ("GET", "/nope", 404),
        ("DELETE", "/v1/tasks", 405),
        ("GET", "/healthz", 200),
    ]
    assert [a["request_id"] for a in access] == ids
    for line in access:
        assert line.keys() >= ACCESS_KEYS
        assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
        assert line["event"] == "request"
        assert line["level"] == "info"
        assert isinstance(line["duration_ms"], float | int)
        assert line["duration_ms"] >= 0
        assert re.fullmatch(r"[\w.-]+:\d+", line["client"])


@pytest.mark.usefixtures("restore_logging")
async def test_library_records_in_a_request_are_json_with_the_request_id_and_a_utc_timestamp(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, get_id = await serve_requests(ChattyOnGet(), ("POST", "/v1/tasks"), ("GET", "/v1/tasks/1"))
    records = json_lines(capsys.readouterr().out)
    library = [r for r in records if r["logger"] == "sqlalchemy.pool"]
    assert library == [
        {
            "event": "connection 1 recycled",
            "level": "error",
            "logger": "sqlalchemy.pool",
            "request_id": get_id,
            "timestamp": library[0]["timestamp"],
        }
    ]
    for record in records:
        stamp = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
        assert record["timestamp"].endswith("Z")
        assert stamp.utcoffset() == UTC.utcoffset(None)


@pytest.mark.usefixtures("restore_logging")
async def test_a_500_is_logged_once_with_its_traceback_and_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    (request_id,) = await serve_requests(CrashingOnGet(), ("GET", "/v1/tasks/7"))
    records = json_lines(capsys.readouterr().out)
    errors = [r for r in records if r["level"] in ("error", "critical")]
    assert len(errors) == 1
    (error,) = errors
    assert error["request_id"] == request_id
    assert error["event"] == "unhandled_exception"
    (exception,) = error["exception"]
    assert exception["exc_type"] == "RuntimeError"
    assert exception["exc_value"] == "disk on fire while reading 7"
    assert exception["frames"]  # the traceback, as structured frames
    assert all("locals" not in frame for frame in exception["frames"])  # no task data copied into logs
    (access,) = access_lines(records)
    assert (access["status"], access["request_id"]) == (500, request_id)


@pytest.mark.usefixtures("restore_logging")
async def test_dev_writes_a_readable_console_line_not_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(APP_ENV="dev"))
    structlog.get_logger("taskservice.access").info("request", method="GET", path="/healthz", status=200)
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    first, second = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \[info\s*\] request\s+\[taskservice\.access\] "
        r"method=GET path=/healthz status=200",
        first,
    )
    assert re.fullmatch(r"\S+Z \[info\s*\] Started server process \[1\]\s+\[uvicorn\]", second)


@pytest.mark.usefixtures("restore_logging")
def test_warnings_and_levels_below_the_setting_follow_the_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(APP_ENV="qa"))  # INFO
    structlog.get_logger("taskservice").debug("hidden")
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")  # SQL echo stays quiet below WARNING
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    captured = capsys.readouterr()
    assert captured.err == ""
    (record,) = json_lines(captured.out)
    assert record["logger"] == "py.warnings"
    assert "DeprecationWarning: old API" in record["event"]


@pytest.mark.usefixtures("restore_logging")
async def test_each_line_is_on_stdout_as_soon_as_it_is_logged_in_the_order_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Nothing waits for a later loop turn or a flush at exit: a process that ends right after a
    # line (a uvicorn worker on SIGTERM) has written it.
    configure_logging(make_settings(APP_ENV="prod"))
    log = structlog.get_logger("taskservice.test")
    log.info("first")
    assert [r["event"] for r in json_lines(capsys.readouterr().out)] == ["first"]
    logging.getLogger("uvicorn.error").warning("second")
    log.info("third")
    assert [r["event"] for r in json_lines(capsys.readouterr().out)] == ["second", "third"]

    def from_a_thread() -> None:
        log.info("from a thread")

    await asyncio.to_thread(from_a_thread)
    assert [r["event"] for r in json_lines(capsys.readouterr().out)] == ["from a thread"]


@pytest.mark.usefixtures("restore_logging")
def test_our_lines_and_library_lines_have_the_same_shape(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(APP_ENV="prod"))
    set_request_id("req-1")
    try:
        structlog.get_logger("taskservice.access").info("request", method="GET", status=200)
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
    finally:
        set_request_id("")
    ours, library = json_lines(capsys.readouterr().out)
    assert list(ours) == ["timestamp", "level", "logger", "event", "method", "status", "request_id"]
    assert list(library) == ["timestamp", "level", "logger", "event", "request_id"]
    assert (library["logger"], library["event"], library["level"]) == ("uvicorn", "Started server process [7]", "info")
    assert ours["request_id"] == library["request_id"] == "req-1"


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("request_id", ["req-1", ""])
def test_the_json_access_line_is_the_line_structlog_renders(
    capsys: pytest.CaptureFixture[str], request_id: str
) -> None:
    settings = make_settings(APP_ENV="prod")
    configure_logging(settings)
    write = access_log(settings)
    assert write is not None
    set_request_id(request_id)
    try:
        write("GET", "/healthz", 200, 0.000123, ["127.0.0.1", 5555])  # seconds, and the client as ASGI gives it
        structlog.get_logger("taskservice.access").info(
            "request", method="GET", path="/healthz", status=200, duration_ms=0.12, client="127.0.0.1:5555"
        )
    finally:
        set_request_id("")
    ours, structlogs = json_lines(capsys.readouterr().out)
    assert list(ours) == list(structlogs)
    assert {**ours, "timestamp": None} == {**structlogs, "timestamp": None}
    assert ours.get("request_id") == (request_id or None)


@pytest.mark.usefixtures("restore_logging")
def test_an_event_line_writes_the_event_id_and_time_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(make_settings(APP_ENV="prod"))
    event = msgspec.structs.replace(sample_events()[0], occurred_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    EventLog()(event)
    (line,) = json_lines(capsys.readouterr().out)
    assert (line["logger"], line["event"]) == (EVENT_LOGGER_NAME, type(event).__name__)
    assert line["event_id"] == str(event.event_id)
    assert line["occurred_at"] == "2026-01-02T03:04:05.000006Z"


@pytest.mark.usefixtures("restore_logging")
async def test_no_info_lines_above_info(capsys: pytest.CaptureFixture[str]) -> None:
    await serve_requests(
        ChattyOnGet(), ("GET", "/healthz"), settings=make_settings(APP_ENV="prod", LOG_LEVEL="WARNING")
    )
    EventLog()(sample_events()[0])
    assert capsys.readouterr().out == ""
