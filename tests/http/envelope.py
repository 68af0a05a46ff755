"""Assertions on the contract's error envelope, shared by the HTTP tests."""

import re
from typing import Any

import httpx

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check status, JSON content type, envelope shape and request id; return `error`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def field_errors(response: httpx.Response) -> list[tuple[str, str]]:
    """The (source, field) pairs of a 422 validation_error."""
    error = assert_error(response, 422, "validation_error")
    errors: list[dict[str, str]] = error["details"]["errors"]
    assert errors
    for item in errors:
        assert set(item) == {"source", "field", "message"}
        assert item["source"] in {"body", "query", "path", "header"}
        assert item["message"]
    return [(item["source"], item["field"]) for item in errors]
