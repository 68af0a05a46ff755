"""Traces from the real server process, two workers, to a collector named by OTEL_EXPORTER_OTLP_ENDPOINT
(the test receiver): each request's span tree arrives while it serves, the caller's trace goes on,
OTEL_SERVICE_NAME names the service, and the access lines carry the trace ids."""

import json
from pathlib import Path

import httpx
import pytest

from tests.otlp import CLIENT, SERVER, ReceivedSpan, children_of, receiving
from tests.process import running

pytestmark = pytest.mark.e2e

PARENT_TRACE, PARENT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def named(name: str, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return [s for s in spans if s.kind == SERVER and s.name == name]


def test_the_server_exports_each_requests_span_tree_and_logs_its_trace_ids(tmp_path: Path) -> None:
    with receiving() as receiver:
        environ = {
            "APP_ENV": "prod",
            "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_SERVICE_NAME": "taskservice-e2e",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # milliseconds: spans leave while the server runs
        }
        with running(tmp_path, environ, workers=2) as service:
            created = httpx.post(
                service.url("/v1/tasks"),
                json={"title": "traced end to end", "priority": 1},
                headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01", **service.headers},
            )
            assert created.status_code == 201
            assert (
                httpx.get(service.url(f"/v1/tasks/{created.json()['id']}"), headers=service.headers).status_code == 200
            )
            spans = receiver.wait_for(
                lambda spans: bool(named("POST /v1/tasks", spans) and named("GET /v1/tasks/{task_id}", spans))
            )
            assert service.stop() == 0
        log = service.log()
    (post,) = named("POST /v1/tasks", spans)
    assert (post.trace_id, post.parent_span_id) == (PARENT_TRACE, PARENT_SPAN)
    assert post.resource["service.name"] == "taskservice-e2e"
    statements = children_of(post, spans)
    assert statements
    assert all(s.kind == CLIENT and s.attributes["db.system"] == "sqlite" for s in statements)
    assert any(s.attributes["db.statement"].startswith("INSERT INTO tasks") for s in statements)
    (get,) = named("GET /v1/tasks/{task_id}", spans)
    assert get.trace_id != PARENT_TRACE  # a request without traceparent starts a trace of its own
    assert children_of(get, spans)

    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = {r["method"]: r for r in records if r.get("logger") == "taskservice.access" and r["path"] != "/healthz"}
    assert (access["POST"]["trace_id"], access["POST"]["span_id"]) == (PARENT_TRACE, post.span_id)
    assert (access["GET"]["trace_id"], access["GET"]["span_id"]) == (get.trace_id, get.span_id)
    assert "Traceback" not in log
