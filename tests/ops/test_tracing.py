"""Traces as a collector receives them (OTLP/HTTP), from the real app: the span tree of a request,
a continued `traceparent`, and the trace id in the request's log lines. The app sends what is left
when it stops, so each test reads the receiver after its client has closed."""

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from taskservice.logs import configure_logging
from taskservice.ports.unit_of_work import Store
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.ops.fakes import ChattyOnGet
from tests.otlp import CLIENT, SERVER, ReceivedSpan, Receiver, children_of, receiving
from tests.process import free_port

TITLE = "trace me 7f3a"  # a value no statement text may carry
ROOT = Path(__file__).resolve().parents[2]
PARENT_TRACE, PARENT_SPAN = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"


@pytest.fixture
def receiver() -> Any:
    with receiving() as receiver:
        yield receiver


async def post_task(receiver: Receiver, database_url: str, **headers: str) -> list[ReceivedSpan]:
    settings = make_settings(DATABASE_URL=database_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    async with admin_client(settings) as client:
        response = await client.post("/v1/tasks", json={"title": TITLE, "priority": 2}, headers=headers)
        assert response.status_code == 201
    return receiver.spans


def server_spans(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return [s for s in spans if s.kind == SERVER]


async def test_a_post_is_one_server_span_named_by_route_with_a_child_span_per_statement(
    receiver: Receiver, empty_database_url: str
) -> None:
    spans = await post_task(receiver, empty_database_url)
    (request,) = server_spans(spans)
    assert request.name == "POST /v1/tasks"
    assert request.attributes["http.route"] == "/v1/tasks"
    assert request.parent_span_id == ""
    assert request.resource["service.name"] == "taskservice"
    statements = children_of(request, spans)
    system = "sqlite" if empty_database_url.startswith("sqlite") else "postgresql"
    assert statements
    for span in statements:
        assert span.kind == CLIENT
        assert span.attributes["db.system"] == system
        assert span.name == span.attributes["db.statement"].split()[0].upper()
        assert TITLE not in span.attributes["db.statement"]  # placeholders, never the values
    assert any(s.attributes["db.statement"].startswith("INSERT INTO tasks") for s in statements)
    # The request's trace is the request and its statements; start-up's own statements (the test's
    # admin key) are root spans of their own traces, none a request's child.
    assert all(s is request or s.parent_span_id == request.span_id for s in spans if s.trace_id == request.trace_id)
    assert all(s.parent_span_id == "" for s in spans if s.trace_id != request.trace_id)
    assert set(receiver.paths) == {"/v1/traces"}


async def test_an_incoming_traceparent_is_continued(receiver: Receiver, sqlite_url: str) -> None:
    spans = await post_task(receiver, sqlite_url, traceparent=f"00-{PARENT_TRACE}-{PARENT_SPAN}-01")
    (request,) = server_spans(spans)
    assert request.trace_id == PARENT_TRACE
    assert request.parent_span_id == PARENT_SPAN
    assert children_of(request, spans)  # its statements are in the caller's trace too


async def test_unrouted_requests_get_a_span_named_by_method_alone(receiver: Receiver) -> None:
    settings = make_settings(DATABASE_URL="memory://", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    async with admin_client(settings) as client:
        assert (await client.get("/no/such/route")).status_code == 404
        assert (await client.delete("/v1/tasks")).status_code == 405
        assert (await client.head("/v1/tasks/1")).status_code == 404
    names = sorted(s.name for s in server_spans(receiver.spans))
    # The raw path never names a span; HEAD keeps its own method and finds the GET route.
    assert names == ["DELETE", "GET", "HEAD /v1/tasks/{task_id}"]


@pytest.mark.usefixtures("restore_logging")
async def test_the_trace_id_is_in_the_access_line_and_in_every_line_of_the_request(
    receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(APP_ENV="prod", DATABASE_URL="memory://", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    configure_logging(settings)
    store: Store = ChattyOnGet()
    async with admin_client(settings, store=store) as client:
        assert (await client.post("/v1/tasks", json={"title": TITLE, "priority": 2})).status_code == 201
        response = await client.get("/v1/tasks/1")
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    spans = {s.name: s for s in server_spans(receiver.spans)}
    get = spans["GET /v1/tasks/{task_id}"]
    request_id = response.headers["x-request-id"]
    lines = [r for r in records if r.get("request_id") == request_id]
    assert {r["logger"] for r in lines} == {"sqlalchemy.pool", "taskservice.access"}  # ChattyOnGet's line
    for line in lines:
        assert (line["trace_id"], line["span_id"]) == (get.trace_id, get.span_id)
    post_access = next(r for r in records if r.get("logger") == "taskservice.access" and r["method"] == "POST")
    assert post_access["trace_id"] == spans["POST /v1/tasks"].trace_id != get.trace_id


def test_with_tracing_off_no_tracing_code_is_loaded() -> None:
    """Litestar itself imports OpenTelemetry's API and ASGI middleware when they are installed (to
    order the middleware if a plugin asks for it); the SDK, the exporter and the instrumentations,
    the weight of tracing, stay unloaded."""
    probe = (
        "import sys\n"
        "from taskservice.bootstrap import create_app\n"
        "from taskservice.logs import configure_logging\n"
        "from tests.conftest import make_settings\n"
        "settings = make_settings(APP_ENV='prod', DATABASE_URL='memory://')\n"
        "configure_logging(settings)\n"
        "create_app(settings)\n"
        "print(sorted(m for m in sys.modules if m.startswith(TRACING)))\n"
    )
    tracing = (
        "taskservice.tracing",
        "opentelemetry.sdk",
        "opentelemetry.exporter",
        "opentelemetry.instrumentation.asyncpg",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"TRACING = {tracing!r}\n{probe}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


async def test_a_collector_that_is_down_loses_spans_not_requests(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, sqlite_url: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")  # seconds: the last export at shutdown gives up soon
    settings = make_settings(DATABASE_URL=sqlite_url, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    async with admin_client(settings) as client:
        for number in range(3):
            assert (
                await client.post("/v1/tasks", json={"title": f"{TITLE} {number}", "priority": 1})
            ).status_code == 201
        assert (await client.get("/v1/tasks")).json()["total"] == 3
    # The spans could not be sent: said once the exporter gave up, in the log, not to any caller.
    assert any(r.name.startswith("opentelemetry.exporter") and r.levelno >= logging.WARNING for r in caplog.records)
